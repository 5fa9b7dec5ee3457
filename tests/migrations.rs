//! The two migration folders describe the same schema: same files, same tables, same columns.

use std::collections::BTreeMap;
use std::path::Path;

/// `table -> [column, ...]` from the CREATE TABLE statements of every file in a folder.
fn schema(folder: &str) -> BTreeMap<String, Vec<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut current: Option<String> = None;
        for line in text.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("ALTER TABLE ") {
                let mut words = rest.split_whitespace();
                let table = words.next().unwrap().to_string();
                if let (Some("ADD"), Some("COLUMN"), Some(column)) =
                    (words.next(), words.next(), words.next())
                {
                    tables.get_mut(&table).unwrap().push(column.to_string());
                }
            } else if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
                let table = rest.split_whitespace().next().unwrap().to_string();
                tables.insert(table.clone(), Vec::new());
                current = Some(table);
            } else if line.starts_with(");") {
                current = None;
            } else if let Some(table) = &current {
                let word = line.split_whitespace().next().unwrap_or("");
                let is_column = !word.is_empty()
                    && word.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    && !matches!(word, "primary" | "check" | "unique");
                if is_column {
                    tables.get_mut(table).unwrap().push(word.to_string());
                }
            }
        }
    }
    tables
}

fn file_names(folder: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn sqlite_and_postgres_migrations_are_kept_in_step() {
    assert_eq!(file_names("sqlite"), file_names("postgres"));
    let sqlite = schema("sqlite");
    assert!(sqlite.contains_key("key_requests") && sqlite["keys"].contains(&"hash".to_string()));
    assert_eq!(sqlite, schema("postgres"));
}
