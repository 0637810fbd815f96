//! CPU time split between the hosts, the simulators and the bench's own driver, which share the
//! bench's process, and the database server: the simulators run on a runtime of their own whose
//! threads are named [`SIM_THREADS`]; the driver (creating orders, reading the simulators' logs
//! and the inbox for the figures) runs on the main thread, in the host runtime's `block_on`; every
//! other thread of the process is the hosts' (all `--hosts` of them together: their runtime, the
//! inboxes' writers, the epoch tickers). The database is every process named
//! [`DATABASE_PROCESS`] on the machine (the `--store postgres` server when it runs here, other
//! clusters on this machine included; none with `--store sqlite`, or a server elsewhere).
//! Linux only: `/proc/self/stat` for the whole process (threads that ended included) and
//! `/proc/self/task/*/stat` for the simulators' threads and the main thread, which live as long
//! as the bench; `/proc/*/stat` for the database's processes, whose time is lost when one ends
//! (a backend whose connection closed).

use std::time::Duration;

/// The name of the simulators' threads.
pub const SIM_THREADS: &str = "sim";
/// The name (`comm`) of the database server's processes.
pub const DATABASE_PROCESS: &str = "postgres";

/// CPU time so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuSplit {
    /// The bench's process but the simulators and the driver: every in-process host together.
    pub host: Duration,
    pub sims: Duration,
    pub driver: Duration,
    /// The database server's processes; zero where there are none.
    pub database: Duration,
}

impl CpuSplit {
    /// Now, or `None` where `/proc` cannot tell.
    pub fn now() -> Option<Self> {
        let process = ticks(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
        let main_thread = std::process::id().to_string();
        let (mut sims, mut driver) = (0, 0);
        for task in std::fs::read_dir("/proc/self/task").ok()? {
            let task = task.ok()?;
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
                continue;
            };
            if task.file_name().to_str() == Some(main_thread.as_str()) {
                driver += ticks(&stat)?;
            } else if thread_name(&stat).is_some_and(|name| name.starts_with(SIM_THREADS)) {
                sims += ticks(&stat)?;
            }
        }
        Some(Self {
            host: in_time(process.saturating_sub(sims + driver)),
            sims: in_time(sims),
            driver: in_time(driver),
            database: in_time(database_ticks()),
        })
    }

    /// What was spent since `before`.
    pub fn since(self, before: Self) -> Self {
        Self {
            host: self.host.saturating_sub(before.host),
            sims: self.sims.saturating_sub(before.sims),
            driver: self.driver.saturating_sub(before.driver),
            database: self.database.saturating_sub(before.database),
        }
    }
}

/// User plus system time of every [`DATABASE_PROCESS`] process, in clock ticks; 0 when there are
/// none (or `/proc` cannot tell).
fn database_ticks() -> u64 {
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return 0;
    };
    processes
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.bytes().all(|byte| byte.is_ascii_digit()))
        })
        // A process may end between the listing and the read.
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .filter(|stat| thread_name(stat) == Some(DATABASE_PROCESS))
        .filter_map(|stat| ticks(&stat))
        .sum()
}

/// The name between the parentheses of a `stat` line.
fn thread_name(stat: &str) -> Option<&str> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    stat.get(open + 1..close)
}

/// User plus system time of a `stat` line, in clock ticks.
fn ticks(stat: &str) -> Option<u64> {
    // The fields after the name: state is the first, utime the 12th, stime the 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Clock ticks (100 a second on Linux) as time.
fn in_time(ticks: u64) -> Duration {
    Duration::from_millis(ticks * 10)
}
