//! The layers of `src/` point one way: every `crate::` path in a module names a module it may
//! use, as the table below allows. A new edge against the rule fails here with the file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module of the bot's library and the modules it may import. Leaves first;
/// a module may only import modules listed before it (the test checks that too), so there is
/// no cycle.
const LAYERS: &[(&str, &[&str])] = &[
    ("money", &[]),
    ("reset", &[]),
    ("clock", &[]),
    ("secret", &[]),
    ("logging", &["secret"]),
    // The domain's types: what every layer above speaks.
    ("domain", &["money", "reset", "clock", "secret"]),
    ("config", &["domain", "money", "reset", "secret"]),
    // The two outside services the rules use, each returning domain types.
    ("openrouter", &["domain", "money", "reset", "secret"]),
    ("store", &["domain", "money", "reset", "clock"]),
    // The rules and flows.
    (
        "team",
        &[
            "domain",
            "store",
            "openrouter",
            "money",
            "reset",
            "clock",
            "secret",
        ],
    ),
    ("report", &["team", "domain", "money", "reset", "clock"]),
    // The adapters: they call the team, and read their own settings.
    (
        "jobs",
        &[
            "team", "report", "config", "domain", "money", "reset", "clock",
        ],
    ),
    (
        "gateway",
        &[
            "team", "config", "domain", "money", "reset", "clock", "secret",
        ],
    ),
    (
        "discord",
        &[
            "jobs", "team", "report", "config", "domain", "money", "reset", "clock", "secret",
        ],
    ),
    // The wiring, and what starts it.
    (
        "app",
        &[
            "discord",
            "gateway",
            "jobs",
            "team",
            "store",
            "openrouter",
            "config",
            "report",
            "domain",
            "logging",
            "money",
            "reset",
            "clock",
            "secret",
        ],
    ),
    (
        "stage",
        &[
            "app",
            "config",
            "jobs",
            "team",
            "store",
            "openrouter",
            "domain",
            "money",
            "reset",
            "clock",
        ],
    ),
    (
        "demo",
        &[
            "stage",
            "app",
            "config",
            "jobs",
            "team",
            "store",
            "openrouter",
            "report",
            "domain",
            "money",
            "reset",
            "clock",
        ],
    ),
    (
        "cli",
        &[
            "demo",
            "stage",
            "app",
            "discord",
            "jobs",
            "team",
            "store",
            "openrouter",
            "config",
            "report",
            "domain",
            "logging",
            "money",
            "reset",
            "clock",
            "secret",
        ],
    ),
];

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ can be read").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The top-level module a file of `src/` belongs to (`src/team/mod.rs` → `team`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("a file under src/");
    let first = relative
        .components()
        .next()
        .expect("a path")
        .as_os_str()
        .to_string_lossy()
        .to_string();
    first.trim_end_matches(".rs").to_string()
}

/// Every `crate::name` a line of Rust names, outside comments: `use crate::x::…`, paths in code,
/// and the names inside a braced `use crate::{a, b::c}`.
fn crate_paths(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(braced) = after.strip_prefix('{') {
            let inside = braced.split('}').next().unwrap_or("");
            for item in inside.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push(name);
                }
            }
        } else {
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push(name);
            }
        }
        rest = after;
    }
    found
}

/// The edges of `src/` that the table does not allow, as "file:line: a -> b".
fn violations(src: &Path) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut found = Vec::new();
    for file in rust_files(src) {
        let module = module_of(src, &file);
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(may_use) = allowed.get(module.as_str()) else {
            found.push(format!(
                "{}: the module `{module}` has no row in LAYERS",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("a source file can be read");
        for (number, line) in text.lines().enumerate() {
            for used in crate_paths(line) {
                if used != module && !may_use.contains(&used.as_str()) {
                    found.push(format!(
                        "{}:{}: {module} -> {used}",
                        file.display(),
                        number + 1
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn every_module_imports_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(
        found.is_empty(),
        "imports against the layering:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_table_itself_has_no_cycle() {
    for (position, (module, may_use)) in LAYERS.iter().enumerate() {
        for used in *may_use {
            let below = LAYERS[..position].iter().any(|(m, _)| m == used);
            assert!(
                below,
                "{module} may use {used}, which is not listed before it"
            );
        }
    }
}

#[test]
fn an_import_against_the_rule_is_caught() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("store")).unwrap();
    std::fs::create_dir_all(src.join("team")).unwrap();
    std::fs::write(
        src.join("store").join("keys.rs"),
        "//! keys\nuse crate::domain::Member;\n// crate::team in a comment is fine\nuse crate::{money::Usd, team::Team};\n",
    )
    .unwrap();
    std::fs::write(
        src.join("team").join("mod.rs"),
        "use crate::store::Store;\n",
    )
    .unwrap();
    std::fs::write(src.join("gadgets.rs"), "use crate::team;\n").unwrap();
    let found = violations(&src);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].ends_with("gadgets.rs: the module `gadgets` has no row in LAYERS"));
    assert!(
        found[1].ends_with("keys.rs:4: store -> team"),
        "{}",
        found[1]
    );
}
