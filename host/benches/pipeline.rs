//! The whole Shopify → Sage Intacct pipeline, in process, on the simulators:
//! `cargo bench -p ml-connector-host --bench pipeline --profile dev [-- --orders 500 --lines 3]`
//! (`--profile dev`: the release profile rebuilds wasmtime from scratch). `-- --help` lists the
//! options and their defaults; each can also be set by its `MLC_BENCH_<NAME>` variable.
//!
//! For each sink batch size (`--batches 1,20`): a fresh pair of simulators and a fresh service
//! (`mlc run`'s code: `flow::open_host`, `Service::start`, the fixture's `mlc.toml`) with the real
//! `shopify`, `shopify-intacct` and `intacct` components. After `--warmup` orders (Intacct session
//! signed in, instances warm), the Intacct simulator answers each request `--intacct-latency` ms
//! late (default 100: a real gateway takes longer, and one request at a time per company is what
//! makes batching the throughput lever; 0 shows what the host alone can do). Then `--orders` new
//! unpaid orders (orders/create) of `--lines` lines are created in the shop simulator at once; it
//! delivers signed webhooks to the host, which verifies, stores, fetches over GraphQL, maps, and
//! applies to the Intacct simulator. Each order also creates its customer first, so it is two
//! events: `customers/create` and `orders/create`. Then `--paced` orders one at a time, each
//! waiting for the previous invoice: the latency of an idle pipeline.
//!
//! Printed, per batch size and phase:
//! - orders/s: the burst's orders over first order created → last invoice present;
//! - p50 / p99 of order created in the shop → its invoice present in the Intacct simulator (the
//!   ledger polled every 5 ms or more: a snapshot grows with the books, and the watcher keeps
//!   under a tenth of a core; its mean period is printed) and of webhook received → event done
//!   (the inbox's `received_at`, `updated_at`: millisecond resolution; `orders/create` events);
//! - Intacct requests per order (the simulator's counter: both events, their share of batches),
//!   and commands per request;
//! - plugin time vs the rest, from the audit trail: `plugin_time_us` in each step's detail is what
//!   the sandbox meters (wall time in the call minus its waits for HTTP, storage and the clock:
//!   plugin code, instantiation and the host imports it calls); the rest of a call is waiting for
//!   Shopify or Intacct. Per order, an apply call shared by a batch counts by commands. For one
//!   `orders/create` event, the time outside calls is the host's: waiting for a worker, waiting in
//!   the sink lane, inbox writes;
//! - the process's CPU time per order (Linux; host and simulators share the process; the
//!   watcher's snapshots left out). Plugin time is wall time: on a loaded machine it includes
//!   time its thread was not running, and can exceed the process's CPU.
//!
//! `--bucket 1000/50` gives the shop the simulator's demo GraphQL cost bucket (default: off, so
//! Shopify's rate limit does not hide the host). The plugins are built first, as the tests do;
//! `--plugins DIR` (relative to the workspace root) uses components built already. Data goes
//! under `$TMPDIR` (`TMPDIR=/dev/shm` takes the inbox's fsyncs out of the figures).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use clap::Parser;
use ml_connector_builder::{BuildOptions, build_plugins};
use mlc_host::config::Config;
use mlc_host::flow::{self, EventDetail, EventFilter, EventRow, Service, Status, Step};
use simulators::shopify::BucketConfig;
use simulators::shopify_intacct::{Setup, ShopifyIntacct, demo_configs};

/// How often the Intacct simulator's books are looked at for new invoices.
const LEDGER_POLL: Duration = Duration::from_millis(5);
/// How long one phase may take to settle before the bench gives up.
const SETTLE: Duration = Duration::from_secs(300);
/// The mapping config's `invoice.number_prefix`: order `#1001` is invoice `SH1001`.
const INVOICE_PREFIX: &str = "SH";

/// `--bucket off`: a cost bucket Shopify never runs short of.
const NO_BUCKET: BucketConfig = BucketConfig {
    maximum: 100_000_000,
    restore_rate: 100_000_000,
};

/// The bench's options; each can also come from its `MLC_BENCH_<NAME>` variable.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "pipeline",
    bin_name = "cargo bench -p ml-connector-host --bench pipeline --profile dev --",
    about = "The whole Shopify → Sage Intacct pipeline, in process, on the simulators: orders/s, \
             latencies, Intacct requests and plugin time per sink batch size."
)]
struct Options {
    /// Orders created at once in the burst.
    #[arg(long, env = "MLC_BENCH_ORDERS", default_value_t = 200, value_parser = at_least_one)]
    orders: usize,
    /// Lines per order.
    #[arg(long, env = "MLC_BENCH_LINES", default_value_t = 3, value_parser = at_least_one)]
    lines: usize,
    /// The flow engine's workers.
    #[arg(long, env = "MLC_BENCH_WORKERS", default_value_t = 16, value_parser = at_least_one)]
    workers: usize,
    /// The sink batch sizes to run, one fresh service each.
    #[arg(
        long,
        env = "MLC_BENCH_BATCHES",
        value_delimiter = ',',
        default_value = "1,20",
        value_parser = at_least_one
    )]
    batches: Vec<usize>,
    /// Orders settled before the measured phases (Intacct session signed in, instances warm).
    #[arg(long, env = "MLC_BENCH_WARMUP", default_value_t = 5)]
    warmup: usize,
    /// Orders created one at a time after the burst, each waiting for the one before.
    #[arg(long, env = "MLC_BENCH_PACED", default_value_t = 20)]
    paced: usize,
    /// Milliseconds the Intacct simulator adds to each request after the warm-up.
    #[arg(
        long,
        env = "MLC_BENCH_INTACCT_LATENCY",
        value_name = "MS",
        default_value = "100",
        value_parser = milliseconds
    )]
    intacct_latency: Duration,
    /// The shop simulator's GraphQL cost bucket: `off`, or MAX/RATE (points, points a second),
    /// e.g. 1000/50 (the simulator's demo bucket).
    #[arg(
        long,
        env = "MLC_BENCH_BUCKET",
        value_name = "off|MAX/RATE",
        default_value = "off",
        value_parser = bucket
    )]
    bucket: BucketConfig,
    /// Components built already, relative to the workspace root (default: build the plugins).
    #[arg(long, env = "MLC_BENCH_PLUGINS", value_name = "DIR")]
    plugins: Option<PathBuf>,
    /// Passed by `cargo bench`; nothing to do.
    #[arg(long, hide = true)]
    bench: bool,
}

/// A count that must not be zero.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.trim().parse() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(count) => Ok(count),
        Err(_) => Err(format!("`{text}` is not a number")),
    }
}

fn milliseconds(text: &str) -> Result<Duration, String> {
    text.parse()
        .map(Duration::from_millis)
        .map_err(|_| format!("`{text}` is not a number of milliseconds"))
}

fn bucket(text: &str) -> Result<BucketConfig, String> {
    if text == "off" {
        return Ok(NO_BUCKET);
    }
    let number = |part: &str| {
        part.trim()
            .parse()
            .map_err(|_| format!("`{text}`: `off` or MAX/RATE, e.g. 1000/50"))
    };
    match text.split_once('/') {
        Some((maximum, restore_rate)) => Ok(BucketConfig {
            maximum: number(maximum)?,
            restore_rate: number(restore_rate)?,
        }),
        None => Err(format!("`{text}`: `off` or MAX/RATE, e.g. 1000/50")),
    }
}

/// The workspace root: cargo runs benches in the package's directory, and a relative
/// `--plugins` is taken from the root, where the command is typed.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let plugin_dir = match &options.plugins {
        Some(dir) => workspace_root().join(dir),
        None => {
            let build = BuildOptions::workspace(workspace_root());
            build_plugins(&build, &mut |line| eprintln!("{line}"))?;
            build.out_dir
        }
    };
    let started = Instant::now();
    let scratch = std::env::temp_dir().join(format!("mlc-bench-pipeline-{}", std::process::id()));
    let mut compiled = plugin_dir.join(".compiled");
    let mut runs = Vec::new();
    for &batch in &options.batches {
        eprintln!("batch {batch}: {} orders…", options.orders);
        let dir = scratch.join(format!("batch-{batch}"));
        let run = run(&options, &plugin_dir, &dir, &compiled, batch)
            .await
            .with_context(|| format!("batch {batch} (its data is kept in {})", dir.display()))?;
        compiled = dir.join("data/compiled");
        runs.push(run);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    print_report(&options, &runs);
    eprintln!("the runs took {:.1?}", started.elapsed());
    Ok(())
}

/// What one batch size gave.
struct Run {
    batch: usize,
    burst: Phase,
    paced: Phase,
    /// Mean time of one ledger snapshot (the watcher's cost to the Intacct simulator), and the
    /// mean time between snapshots (the resolution of "invoice present").
    ledger_poll: (Duration, Duration),
}

/// The figures of one phase (the burst, or the orders one at a time).
#[derive(Default)]
struct Phase {
    orders: usize,
    /// First order created → last invoice present.
    wall: Duration,
    /// Order created → invoice present, ms, sorted.
    to_invoice: Vec<f64>,
    /// Webhook received → event done, `orders/create` events, ms, sorted.
    to_done: Vec<f64>,
    intacct_requests: usize,
    /// CPU time of the whole process (host, simulators, bench) but the ledger snapshots, where
    /// it can be read.
    cpu: Option<Duration>,
    /// Commands the mapping produced.
    commands: usize,
    /// Per-order work, batch shares counted: sums over the phase.
    work: Work,
    /// Where `orders/create` events spent their time: sums over those events.
    path: PathSums,
    /// Events not done, and events that took more than one attempt.
    problems: Vec<String>,
}

#[derive(Default, Clone, Copy)]
struct Work {
    plugin_ms: f64,
    waits_ms: f64,
}

/// Sums over `orders/create` events, in ms.
#[derive(Default, Clone, Copy)]
struct PathSums {
    events: usize,
    /// Order created in the shop → event stored (delivery, verify, inbox write).
    delivered: f64,
    /// Received → done.
    lifetime: f64,
    /// Received → first fetch started.
    queue: f64,
    fetch_plugin: f64,
    fetch_wait: f64,
    map_plugin: f64,
    map_other: f64,
    /// Apply step started (the commands handed to the sink lane) → done, minus the apply call.
    lane: f64,
    apply_plugin: f64,
    apply_wait: f64,
}

/// A row of the breakdown of an `orders/create` event: its label and its sum.
type PathRow = (&'static str, fn(&PathSums) -> f64);

impl PathSums {
    fn plugin(&self) -> f64 {
        self.fetch_plugin + self.map_plugin + self.apply_plugin
    }
}

/// Runs the warm-up, the burst and the paced orders against a fresh service with `batch`.
async fn run(
    options: &Options,
    plugin_dir: &Path,
    dir: &Path,
    compiled_from: &Path,
    batch: usize,
) -> anyhow::Result<Run> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let (mut shopify, intacct) = demo_configs();
    shopify.bucket = options.bucket;
    let sims = Arc::new(ShopifyIntacct::start(shopify, intacct).await?);
    let setup = Setup {
        workers: options.workers,
        batch,
        ..Setup::new(plugin_dir)
    };
    let path = sims.write_config(dir, &setup, "")?;
    let config = Config::load(&path).map_err(|error| anyhow!("{error}"))?;
    // The components compiled by an earlier run (or the tests) are reused, not compiled again.
    copy_compiled(compiled_from, &dir.join("data/compiled"))?;
    let host = flow::open_host(&config).await?;
    let service = Service::start(host, config).await?;
    sims.subscribe(&format!("http://{}", service.local_addr()));
    let watcher = Watcher::start(sims.clone());

    let mut shop = Shop {
        sims: &sims,
        service: &service,
        watcher: &watcher,
        lines: options.lines,
        created: HashMap::new(),
    };
    let warmup: Vec<_> = (0..options.warmup)
        .map(|_| shop.create())
        .collect::<anyhow::Result<_>>()?;
    shop.settle(&warmup).await.context("the warm-up orders")?;
    sims.intacct.faults().set_latency(options.intacct_latency);

    let base = shop.mark()?;
    let started = Instant::now();
    let burst: Vec<_> = (0..options.orders)
        .map(|_| shop.create())
        .collect::<anyhow::Result<_>>()?;
    shop.settle(&burst).await.context("the burst of orders")?;
    let burst = shop.phase(&base, started, &burst, cpu_time())?;

    let base = shop.mark()?;
    let started = Instant::now();
    let mut paced = Vec::new();
    for _ in 0..options.paced {
        let order = shop.create()?;
        shop.settle(std::slice::from_ref(&order))
            .await
            .context("an order alone")?;
        paced.push(order);
    }
    let paced = shop.phase(&base, started, &paced, cpu_time())?;

    let ledger_poll = watcher.stop();
    service.shutdown().await?;
    Ok(Run {
        batch,
        burst,
        paced,
        ledger_poll,
    })
}

/// The shop side of a run: creates orders and waits for them to reach the books.
struct Shop<'a> {
    sims: &'a ShopifyIntacct,
    service: &'a Service,
    watcher: &'a Watcher,
    lines: usize,
    /// Order id → when it was created.
    created: HashMap<String, (Instant, DateTime<Utc>)>,
}

/// One order created: its id and invoice number.
struct Created {
    id: String,
    invoice: String,
}

/// Where the inbox and the Intacct simulator stood before a phase.
struct Mark {
    last_event: i64,
    intacct_requests: usize,
    cpu: Option<Duration>,
    watcher: Duration,
}

impl Shop<'_> {
    fn create(&mut self) -> anyhow::Result<Created> {
        let spec = self.sims.shopify.sample_order_spec(self.lines);
        let at = (Instant::now(), Utc::now());
        let order = self.sims.shopify.create_order(spec)?;
        let id = order.id.to_string();
        self.created.insert(id.clone(), at);
        Ok(Created {
            id,
            invoice: format!("{INVOICE_PREFIX}{}", order.order_number),
        })
    }

    fn mark(&self) -> anyhow::Result<Mark> {
        let last = self.service.inbox().list(&EventFilter {
            limit: 1,
            ..Default::default()
        })?;
        Ok(Mark {
            last_event: last.first().map_or(0, |row| row.id),
            intacct_requests: self.sims.intacct.request_count(),
            cpu: cpu_time(),
            watcher: self.watcher.cost(),
        })
    }

    /// Waits until every order's invoice is in the books and no event is left to run.
    async fn settle(&self, orders: &[Created]) -> anyhow::Result<()> {
        let deadline = Instant::now() + SETTLE;
        let mut settled_at = None;
        loop {
            let counts = self.service.inbox().counts()?;
            let open: u64 = counts
                .iter()
                .filter(|(status, _)| !status.is_settled())
                .map(|(_, count)| count)
                .sum();
            let missing = orders
                .iter()
                .filter(|order| self.watcher.seen(&order.invoice).is_none())
                .count();
            // Two events per order: its customer's and its own.
            let stored: u64 = counts.iter().map(|(_, count)| count).sum();
            let expected = 2 * self.created.len() as u64;
            if open == 0 && stored >= expected {
                if missing == 0 {
                    return Ok(());
                }
                // The watcher has not looked at the books since the last events were done.
                let settled_at = *settled_at.get_or_insert_with(Instant::now);
                if settled_at.elapsed() < Duration::from_secs(1) {
                    tokio::time::sleep(LEDGER_POLL).await;
                    continue;
                }
                bail!(
                    "{missing} invoices never reached the books; events: {}",
                    describe_counts(&counts)
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "not settled after {SETTLE:?}: {missing} invoices missing, events: {}",
                    describe_counts(&counts)
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The figures of the orders created since `base`.
    /// The figures of the orders created since `base`; `cpu` is the process's CPU time when
    /// they had settled.
    fn phase(
        &self,
        base: &Mark,
        started: Instant,
        orders: &[Created],
        cpu: Option<Duration>,
    ) -> anyhow::Result<Phase> {
        let inbox = self.service.inbox();
        let rows: Vec<EventRow> = inbox
            .list(&EventFilter {
                limit: usize::MAX >> 1,
                ..Default::default()
            })?
            .into_iter()
            .filter(|row| row.id > base.last_event)
            .collect();
        let mut phase = Phase {
            orders: orders.len(),
            intacct_requests: self.sims.intacct.request_count() - base.intacct_requests,
            cpu: cpu.zip(base.cpu).map(|(now, before)| {
                let watching = self.watcher.cost() - base.watcher;
                (now - before).saturating_sub(watching)
            }),
            ..Phase::default()
        };
        let mut last_invoice = started;
        for order in orders {
            let seen = self.watcher.seen(&order.invoice).expect("settled");
            let (created, _) = self.created[&order.id];
            phase.to_invoice.push(ms(seen - created));
            last_invoice = last_invoice.max(seen);
        }
        phase.wall = last_invoice - started;
        for row in &rows {
            let detail = inbox.show(row.id)?;
            if row.status != Status::Done {
                phase.problems.push(format!(
                    "event {} ({}) is {}: {}",
                    row.id,
                    row.topic,
                    row.status,
                    row.last_error
                        .as_deref()
                        .or(row.review_reason.as_deref())
                        .unwrap_or("")
                ));
            } else if row.attempts > 1 {
                let failed: Vec<String> = detail
                    .steps
                    .iter()
                    .filter(|step| !step.ok)
                    .map(|step| format!("{}: {}", step.name, step.message.as_deref().unwrap_or("")))
                    .collect();
                phase.problems.push(format!(
                    "event {} ({}) took {} attempts; {}",
                    row.id,
                    row.topic,
                    row.attempts,
                    failed.join("; ")
                ));
            }
            let figures = Figures::of(&detail);
            phase.commands += figures.commands;
            phase.work.plugin_ms += figures.work_plugin();
            phase.work.waits_ms += figures.work_waits();
            if row.topic == "orders/create" {
                let lifetime = millis(row.updated_at - row.received_at);
                phase.to_done.push(lifetime);
                let path = &mut phase.path;
                path.events += 1;
                if let Some((_, created)) = self.created.get(&row.reference) {
                    path.delivered += millis(row.received_at - *created);
                }
                path.lifetime += lifetime;
                path.queue += figures
                    .first_fetch
                    .map_or(0.0, |at| millis(at - row.received_at));
                path.fetch_plugin += figures.fetch.plugin;
                path.fetch_wait += figures.fetch.total - figures.fetch.plugin;
                path.map_plugin += figures.map.plugin;
                path.map_other += figures.map.total - figures.map.plugin;
                path.apply_plugin += figures.apply.plugin;
                path.apply_wait += figures.apply.total - figures.apply.plugin;
                path.lane += figures.last_apply.map_or(0.0, |at| {
                    millis(row.updated_at - at) - figures.last_apply_call
                });
            }
        }
        phase.to_invoice.sort_by(f64::total_cmp);
        phase.to_done.sort_by(f64::total_cmp);
        Ok(phase)
    }
}

/// One event's audit trail reduced to times, in ms (all attempts).
#[derive(Default)]
struct Figures {
    verify: Call,
    fetch: Call,
    map: Call,
    /// Whole apply calls, as the event waited for them.
    apply: Call,
    /// This event's share of its apply calls, by commands.
    apply_share: Call,
    commands: usize,
    first_fetch: Option<DateTime<Utc>>,
    last_apply: Option<DateTime<Utc>>,
    last_apply_call: f64,
}

#[derive(Default, Clone, Copy)]
struct Call {
    plugin: f64,
    total: f64,
}

impl Call {
    fn add(&mut self, step: &Step, share: f64) {
        let plugin_us = step.detail["plugin_time_us"].as_u64().unwrap_or(0);
        self.plugin += plugin_us as f64 / 1000.0 * share;
        self.total += ms(step.duration) * share;
    }
}

impl Figures {
    fn of(detail: &EventDetail) -> Self {
        let mut figures = Self::default();
        let mut commands = 0;
        for step in &detail.steps {
            match step.name.as_str() {
                "received" => figures.verify.add(step, 1.0),
                "fetch" => {
                    figures.fetch.add(step, 1.0);
                    figures.first_fetch.get_or_insert(step.started_at);
                }
                "map" => {
                    figures.map.add(step, 1.0);
                    commands = step.detail["commands"].as_array().map_or(0, Vec::len);
                }
                "apply" => {
                    let in_call = step.detail["batch"]["commands"].as_u64().unwrap_or(0);
                    let share = match in_call {
                        0 => 1.0,
                        in_call => commands as f64 / in_call as f64,
                    };
                    figures.apply.add(step, 1.0);
                    figures.apply_share.add(step, share);
                    figures.last_apply = Some(step.started_at);
                    figures.last_apply_call = ms(step.duration);
                }
                _ => {}
            }
        }
        figures.commands = commands;
        figures
    }

    /// Plugin time this event cost, its share of shared apply calls counted.
    fn work_plugin(&self) -> f64 {
        self.verify.plugin + self.fetch.plugin + self.map.plugin + self.apply_share.plugin
    }

    /// Time its calls waited for Shopify, Intacct and storage, likewise.
    fn work_waits(&self) -> f64 {
        [self.verify, self.fetch, self.map, self.apply_share]
            .iter()
            .map(|call| call.total - call.plugin)
            .sum()
    }
}

/// Polls the Intacct simulator's books and notes when each invoice number first appears.
struct Watcher {
    seen: Arc<Mutex<HashMap<String, Instant>>>,
    /// Snapshots taken, and their total time.
    cost: Arc<Mutex<(u32, Duration)>>,
    started: Instant,
    task: tokio::task::JoinHandle<()>,
}

impl Watcher {
    fn start(sims: Arc<ShopifyIntacct>) -> Self {
        let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
        let cost: Arc<Mutex<(u32, Duration)>> = Arc::default();
        let (seen_by_task, cost_by_task) = (seen.clone(), cost.clone());
        let task = tokio::spawn(async move {
            loop {
                let started = Instant::now();
                let ledger = sims.ledger();
                let now = Instant::now();
                {
                    let mut seen = seen_by_task.lock().unwrap();
                    for invoice in &ledger.invoices {
                        if let Some(number) = &invoice.document.number {
                            seen.entry(number.clone()).or_insert(now);
                        }
                    }
                }
                {
                    let mut cost = cost_by_task.lock().unwrap();
                    cost.0 += 1;
                    cost.1 += now - started;
                }
                // The snapshot grows with the books: keep its cost under a tenth of a core.
                tokio::time::sleep(LEDGER_POLL.max((now - started) * 10)).await;
            }
        });
        Self {
            seen,
            cost,
            started: Instant::now(),
            task,
        }
    }

    /// The time spent taking snapshots so far.
    fn cost(&self) -> Duration {
        self.cost.lock().unwrap().1
    }

    fn seen(&self, invoice: &str) -> Option<Instant> {
        self.seen.lock().unwrap().get(invoice).copied()
    }

    /// Stops polling; returns the mean time of one snapshot and the mean time between two.
    fn stop(&self) -> (Duration, Duration) {
        self.task.abort();
        let (count, total) = *self.cost.lock().unwrap();
        (total / count.max(1), self.started.elapsed() / count.max(1))
    }
}

/// Copies the compiled components of `from` (if any) into `to`, so the host loads them from its
/// cache instead of compiling them again.
fn copy_compiled(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        if Path::new(&name)
            .extension()
            .is_some_and(|ext| ext == "cwasm")
        {
            std::fs::copy(entry.path(), to.join(&name))
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// The CPU time of this process so far, all threads (Linux: `/proc/self/stat`, in the kernel's
/// 100 Hz user ticks).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name: state is the first, utime the 12th, stime the 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn describe_counts(counts: &[(Status, u64)]) -> String {
    counts
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(status, count)| format!("{count} {status}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn millis(delta: chrono::TimeDelta) -> f64 {
    delta.num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], quantile: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn print_report(options: &Options, runs: &[Run]) {
    let bucket = match options.bucket {
        NO_BUCKET => "off".to_owned(),
        bucket => format!("{} points, {}/s", bucket.maximum, bucket.restore_rate),
    };
    println!(
        "pipeline: Shopify → shopify-intacct → Intacct on the simulators, in process, {} CPUs\n\
         orders of {} lines, unpaid (orders/create); each order also creates its customer, so \
         it is 2 events\nworkers {}, Intacct concurrency 1 and {:?} a request, Shopify cost \
         bucket {bucket}; after {} warm-up orders",
        std::thread::available_parallelism().map_or(0, |cpus| cpus.get()),
        options.lines,
        options.workers,
        options.intacct_latency,
        options.warmup
    );
    let mut table = Table::new(runs.iter().map(|run| format!("batch {}", run.batch)));
    for (burst, title, phase_of) in [
        (
            true,
            format!("burst: {} orders created at once", options.orders),
            (|run: &Run| &run.burst) as fn(&Run) -> &Phase,
        ),
        (
            false,
            format!("one at a time: {} orders", options.paced),
            |run: &Run| &run.paced,
        ),
    ] {
        if runs.iter().all(|run| phase_of(run).orders == 0) {
            continue;
        }
        table.section(&title);
        if burst {
            table.row("orders/s (first created → last invoice)", runs, |run| {
                let phase = phase_of(run);
                format!("{:.1}", phase.orders as f64 / phase.wall.as_secs_f64())
            });
            table.row("wall time (s)", runs, |run| {
                format!("{:.2}", phase_of(run).wall.as_secs_f64())
            });
        }
        table.row(
            "created → invoice in Intacct p50 / p99 (ms)",
            runs,
            |run| pair(&phase_of(run).to_invoice),
        );
        table.row("webhook received → done p50 / p99 (ms)", runs, |run| {
            pair(&phase_of(run).to_done)
        });
        table.row("Intacct requests per order", runs, |run| {
            let phase = phase_of(run);
            format!("{:.2}", phase.intacct_requests as f64 / phase.orders as f64)
        });
        table.row("commands per Intacct request", runs, |run| {
            let phase = phase_of(run);
            format!(
                "{:.1}",
                phase.commands as f64 / phase.intacct_requests.max(1) as f64
            )
        });
        table.row("per order: plugin code (ms)", runs, |run| {
            let phase = phase_of(run);
            format!("{:.2}", phase.work.plugin_ms / phase.orders as f64)
        });
        table.row("per order: waits for Shopify, Intacct (ms)", runs, |run| {
            let phase = phase_of(run);
            format!("{:.2}", phase.work.waits_ms / phase.orders as f64)
        });
        table.row("per order: process CPU, all of it (ms)", runs, |run| {
            let phase = phase_of(run);
            phase.cpu.map_or("n/a".into(), |cpu| {
                format!("{:.1}", ms(cpu) / phase.orders as f64)
            })
        });
        table.row("plugin code / process CPU", runs, |run| {
            let phase = phase_of(run);
            phase.cpu.map_or("n/a".into(), |cpu| {
                format!("{:.0}%", 100.0 * phase.work.plugin_ms / ms(cpu))
            })
        });
        table.row("an orders/create event, mean ms:", runs, |_| String::new());
        let path_rows: [PathRow; 11] = [
            ("  order created → webhook stored", |p| p.delivered),
            ("  webhook received → done", |p| p.lifetime),
            ("    in plugins (fetch, map, apply)", PathSums::plugin),
            ("    waiting in calls (Shopify, Intacct)", |p| {
                p.fetch_wait + p.map_other + p.apply_wait
            }),
            ("    in the host (the rest)", |p| {
                p.lifetime - p.plugin() - (p.fetch_wait + p.map_other + p.apply_wait)
            }),
            ("      of which waiting for a worker", |p| p.queue),
            ("      of which sink lane + outcome write", |p| p.lane),
            ("    fetch: plugin", |p| p.fetch_plugin),
            ("    fetch: waiting for Shopify", |p| p.fetch_wait),
            ("    map: plugin", |p| p.map_plugin),
            ("    apply (its whole batch): plugin", |p| p.apply_plugin),
        ];
        for (label, value) in path_rows {
            table.row(label, runs, |run| {
                let path = &phase_of(run).path;
                format!("{:.1}", value(path) / path.events.max(1) as f64)
            });
        }
    }
    table.print();

    if let (Some(first), Some(last)) = (runs.first(), runs.last())
        && runs.len() > 1
    {
        let rate = |run: &Run| run.burst.orders as f64 / run.burst.wall.as_secs_f64();
        let requests =
            |run: &Run| run.burst.intacct_requests as f64 / run.burst.orders.max(1) as f64;
        println!(
            "batch {} vs batch {}: {:.2}x orders/s, {:.2}x Intacct requests per order (burst)",
            last.batch,
            first.batch,
            rate(last) / rate(first),
            requests(last) / requests(first)
        );
    }
    for run in runs {
        let (cost, every) = run.ledger_poll;
        println!(
            "batch {}: the ledger watcher's snapshot took {cost:.2?} on average, every {every:.1?}",
            run.batch
        );
        for problem in run.burst.problems.iter().chain(&run.paced.problems) {
            println!("batch {}: {problem}", run.batch);
        }
    }
}

fn pair(sorted: &[f64]) -> String {
    format!(
        "{:.0} / {:.0}",
        percentile(sorted, 0.5),
        percentile(sorted, 0.99)
    )
}

/// Rows of text under one column per run.
struct Table {
    header: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
}

impl Table {
    fn new(columns: impl Iterator<Item = String>) -> Self {
        Self {
            header: columns.collect(),
            rows: Vec::new(),
        }
    }

    fn section(&mut self, title: &str) {
        self.rows.push((title.to_owned(), Vec::new()));
    }

    fn row(&mut self, label: &str, runs: &[Run], cell: impl Fn(&Run) -> String) {
        self.rows
            .push((format!("  {label}"), runs.iter().map(cell).collect()));
    }

    fn print(&self) {
        let width = self
            .rows
            .iter()
            .map(|(label, _)| label.chars().count())
            .max()
            .unwrap_or(0);
        let column = self
            .rows
            .iter()
            .flat_map(|(_, cells)| cells)
            .chain(&self.header)
            .map(|cell| cell.chars().count() + 3)
            .max()
            .unwrap_or(0);
        let header: String = self
            .header
            .iter()
            .map(|cell| format!("{cell:>column$}"))
            .collect();
        println!("{:width$}{header}", "");
        for (label, cells) in &self.rows {
            let cells: String = cells
                .iter()
                .map(|cell| format!("{cell:>column$}"))
                .collect();
            println!("{label:width$}{cells}");
        }
    }
}
