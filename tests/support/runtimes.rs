//! Runtimes of their own for the benchmarks' fakes and clients, as other processes would have,
//! and the CPU time each group of threads used, so a figure can be the bot's alone.

use std::collections::BTreeMap;
use std::time::Duration;

pub type Runtimes = std::sync::OnceLock<tokio::runtime::Runtime>;

/// A runtime of its own, named `name`, with `workers` threads, made on first use.
pub fn own_runtime(
    cell: &'static Runtimes,
    name: &str,
    workers: usize,
) -> &'static tokio::runtime::Handle {
    cell.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name(name)
            .enable_all()
            .build()
            .expect("a runtime")
    })
    .handle()
}

/// The CPU time (user and system) this process's live threads used so far, by thread name.
/// Linux only; empty elsewhere.
pub fn cpu_by_thread_name() -> BTreeMap<String, Duration> {
    let mut used = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return used;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ...`: the name may hold spaces and parentheses, so split at the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_string();
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the name.
        let ticks: u64 = [11, 12]
            .iter()
            .filter_map(|i| fields.get(*i)?.parse::<u64>().ok())
            .sum();
        *used.entry(name).or_default() += Duration::from_millis(ticks * 1000 / USER_HZ);
    }
    used
}

/// The unit of the CPU times in `stat`: 1/100 s on Linux, whatever the kernel's own tick.
const USER_HZ: u64 = 100;
