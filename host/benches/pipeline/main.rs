//! The whole Shopify → Sage Intacct pipeline on the simulators, in release:
//! `cargo bench -p ml-connector-host --bench pipeline [-- --orders 1000 --batches 20,100]`.
//! `-- --help` lists the options; each can also be set by its `MLC_BENCH_<NAME>` variable.
//! docs/benchmarks.md says how to read what it prints.
//!
//! For each worker count and sink batch size: a fresh pair of simulators and `--hosts` fresh
//! services on one config (`mlc run`'s code: `flow::open_host`, `Service::start`, the fixture's
//! `mlc.toml`) with the real `shopify`, `shopify-intacct` and `intacct` components. With
//! `--store postgres` each run has a fresh PostgreSQL database (`support::postgres`: the server of
//! `MLC_TEST_POSTGRES_URL`, else a throwaway `pg_virtualenv` cluster started once) as its
//! `[store]`, which holds the whole inbox: the hosts share it, any host claims any event. Several
//! hosts need it; `--store sqlite` (no `[store]`) is one host. The shop's topics are spread over
//! the hosts, topic i of the flow's to host i mod N, so each webhook is delivered once, to one
//! host; the bench reads the shared inbox through the first host.
//! The simulators run on a runtime of their own (threads named `sim`), so the hosts' CPU time
//! (all of them together: they share the bench's process) is told apart from theirs, from the
//! bench's driver on the main thread and from the database server's processes (`cpu`).
//! Each order creates its customer first, so it is two events (`customers/create`,
//! `orders/create`): the shop simulator delivers two signed webhooks, the host that receives
//! each verifies and stores it, and whichever host claims the event fetches over GraphQL, maps,
//! and applies to the Intacct simulator. Phases:
//! 1. warm-up: `--warmup` orders at once (Intacct session signed in, instances warm);
//! 2. offered rate: `--offered-orders` orders created at `--offered-rate` webhooks a second, for
//!    the acknowledgement latency at a fixed load;
//! 3. saturation: `--orders` orders created at once, for events/s, the acknowledgement latency at
//!    saturation, CPU per event (the hosts', the simulators', the driver's, the database's),
//!    Intacct requests and Shopify points per order;
//! 4. slow Intacct: `--orders` orders at once again, Intacct answering `--slow-intacct` ms late,
//!    as a real gateway does: how many requests an order costs when batches can fill;
//! 5. `--paced` orders one at a time, each waiting for the one before: an idle pipeline's latency.
//!
//! The last line is a machine-readable summary of the fastest run.

mod cpu;
mod measure;
mod report;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use clap::{CommandFactory, Parser};
use ml_connector_builder::{BuildOptions, build_plugins};
use mlc_host::config::Config;
use mlc_host::flow::{self, RecordingUsage, Service};
use simulators::shopify::BucketConfig;
use simulators::shopify_intacct::{
    SHOPIFY_CONNECTION, Setup, ShopifyIntacct, TOPICS, demo_configs,
};

use measure::{Phase, Shop, Watcher};

/// `--bucket off`: a cost bucket Shopify never runs short of.
pub const NO_BUCKET: BucketConfig = BucketConfig {
    maximum: 100_000_000,
    restore_rate: 100_000_000,
};

/// The bench's options; each can also come from its `MLC_BENCH_<NAME>` variable.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "pipeline",
    bin_name = "cargo bench -p ml-connector-host --bench pipeline --",
    about = "The whole Shopify → Sage Intacct pipeline on the simulators: events/s, webhook \
             acknowledgement latency, host CPU per event, Intacct requests and Shopify points per \
             order, per worker count and sink batch size."
)]
pub struct Options {
    /// Orders created at once in the saturation phase.
    #[arg(long, env = "MLC_BENCH_ORDERS", default_value_t = 1000, value_parser = at_least_one)]
    orders: usize,
    /// Orders created at the offered rate (0: skip that phase).
    #[arg(long, env = "MLC_BENCH_OFFERED_ORDERS", default_value_t = 1000)]
    offered_orders: usize,
    /// Webhooks a second in the offered-rate phase (two per order).
    #[arg(
        long,
        env = "MLC_BENCH_OFFERED_RATE",
        default_value_t = 1000,
        value_parser = at_least_one
    )]
    offered_rate: usize,
    /// Lines per order.
    #[arg(long, env = "MLC_BENCH_LINES", default_value_t = 3, value_parser = at_least_one)]
    lines: usize,
    /// The flow engine's worker counts to run, one fresh service each.
    #[arg(
        long,
        env = "MLC_BENCH_WORKERS",
        value_delimiter = ',',
        default_value = "16,128",
        value_parser = at_least_one
    )]
    workers: Vec<usize>,
    /// The sink batch sizes to run, one fresh service each.
    #[arg(
        long,
        env = "MLC_BENCH_BATCHES",
        value_delimiter = ',',
        default_value = "20,100",
        value_parser = at_least_one
    )]
    batches: Vec<usize>,
    /// Orders settled before the measured phases.
    #[arg(long, env = "MLC_BENCH_WARMUP", default_value_t = 20)]
    warmup: usize,
    /// Orders created one at a time at the end, each waiting for the one before.
    #[arg(long, env = "MLC_BENCH_PACED", default_value_t = 20)]
    paced: usize,
    /// Milliseconds the Intacct simulator adds to each request after the warm-up, but in the
    /// slow-Intacct phase (0: instant, the host's own speed).
    #[arg(
        long,
        env = "MLC_BENCH_INTACCT_LATENCY",
        value_name = "MS",
        default_value = "0",
        value_parser = milliseconds
    )]
    intacct_latency: Duration,
    /// Milliseconds the Intacct simulator adds to each request in the slow-Intacct phase (0: skip
    /// that phase).
    #[arg(
        long,
        env = "MLC_BENCH_SLOW_INTACCT",
        value_name = "MS",
        default_value = "100",
        value_parser = milliseconds
    )]
    slow_intacct: Duration,
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
    /// Whether the host records each attempt (`[recording] enabled`): `on`, or `off` to measure
    /// what recording costs.
    #[arg(
        long,
        env = "MLC_BENCH_RECORDING",
        value_name = "on|off",
        default_value = "on",
        value_parser = on_off,
        action = clap::ArgAction::Set
    )]
    recording: bool,
    /// Where the state several hosts share lives (`[store]`): `sqlite` (no `[store]`: the inbox
    /// and the rest in files in the data directory, one host), or `postgres`: a fresh database
    /// for each run on the server of `MLC_TEST_POSTGRES_URL`, else on a throwaway `pg_virtualenv`
    /// cluster, holding the inbox, the plugin store, plugin storage and the sink lanes' slots, as
    /// hosts of several have them.
    #[arg(
        long,
        env = "MLC_BENCH_STORE",
        value_name = "sqlite|postgres",
        default_value = "sqlite",
        value_parser = store
    )]
    store: Store,
    /// Hosts (services on the one config, in this process) sharing the inbox; the shop's topics
    /// are spread over them. More than one needs `--store postgres`.
    #[arg(long, env = "MLC_BENCH_HOSTS", default_value_t = 1, value_parser = at_least_one)]
    hosts: usize,
    /// Components built already, relative to the workspace root (default: build the plugins).
    #[arg(long, env = "MLC_BENCH_PLUGINS", value_name = "DIR")]
    plugins: Option<PathBuf>,
    /// Passed by `cargo bench`; nothing to do.
    #[arg(long, hide = true)]
    bench: bool,
}

/// `on` or `off`.
fn on_off(text: &str) -> Result<bool, String> {
    match text.trim() {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("`{other}`: write on or off")),
    }
}

/// Where the bench's hosts keep what several hosts share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Sqlite,
    /// A fresh database for each run.
    Postgres,
}

impl Store {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// `sqlite` or `postgres`.
fn store(text: &str) -> Result<Store, String> {
    match text.trim() {
        "sqlite" => Ok(Store::Sqlite),
        "postgres" => Ok(Store::Postgres),
        other => Err(format!("`{other}`: write sqlite or postgres")),
    }
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

/// What one worker count and batch size gave.
pub struct Run {
    pub workers: usize,
    pub batch: usize,
    pub offered: Phase,
    pub burst: Phase,
    pub slow_intacct: Phase,
    pub paced: Phase,
    /// Mean time of one look at the books (the watcher's cost to the simulators' threads), and
    /// the mean time between looks (the resolution of "invoice present").
    pub ledger_poll: (Duration, Duration),
    /// What the run's recordings take in the inbox.
    pub recorded: RecordingUsage,
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    if options.hosts > 1 && options.store == Store::Sqlite {
        Options::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "--hosts {} needs --store postgres: several hosts share their inbox through \
                     `[store]`, and with sqlite each host keeps its own in its data directory",
                    options.hosts
                ),
            )
            .exit();
    }
    // The host's runtime; its threads outlive the bench, so the CPU of those that idle is kept.
    let host = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("host")
        .thread_keep_alive(Duration::from_secs(3600))
        .build()?;
    let sims = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(cpu::SIM_THREADS)
        .thread_keep_alive(Duration::from_secs(3600))
        .build()?;
    host.block_on(run_all(&options, sims.handle()))
}

async fn run_all(options: &Options, sims: &tokio::runtime::Handle) -> anyhow::Result<()> {
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
    for &workers in &options.workers {
        for &batch in &options.batches {
            eprintln!("workers {workers}, batch {batch}…");
            let dir = scratch.join(format!("workers-{workers}-batch-{batch}"));
            let run = run(options, sims, &plugin_dir, &dir, &compiled, workers, batch)
                .await
                .with_context(|| {
                    format!(
                        "workers {workers}, batch {batch} (its data is kept in {})",
                        dir.display()
                    )
                })?;
            compiled = dir.join("data/compiled");
            runs.push(run);
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    report::print(options, &runs);
    eprintln!("the runs took {:.1?}", started.elapsed());
    Ok(())
}

/// Runs the phases against a fresh service with `workers` and `batch`.
async fn run(
    options: &Options,
    sim_runtime: &tokio::runtime::Handle,
    plugin_dir: &Path,
    dir: &Path,
    compiled_from: &Path,
    workers: usize,
    batch: usize,
) -> anyhow::Result<Run> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let (mut shopify, intacct) = demo_configs();
    shopify.bucket = options.bucket;
    let sims = Arc::new(
        sim_runtime
            .spawn(ShopifyIntacct::start(shopify, intacct))
            .await??,
    );
    let setup = Setup {
        workers,
        batch,
        ..Setup::new(plugin_dir)
    };
    let mut extra = format!("\n[recording]\nenabled = {}\n", options.recording);
    if options.store == Store::Postgres {
        // The inbox lives in the database: a run must not see an earlier run's events.
        let database = support::postgres::database(&format!("bench_w{workers}_b{batch}")).await;
        extra.push_str(&database.store_section(dir));
    }
    let path = sims.write_config(dir, &setup, &extra)?;
    let config = Config::load(&path).map_err(|error| anyhow!("{error}"))?;
    // The components compiled by an earlier run (or the tests) are reused, not compiled again.
    copy_compiled(compiled_from, &dir.join("data/compiled"))?;
    let mut services = Vec::with_capacity(options.hosts);
    for _ in 0..options.hosts {
        let host = flow::open_host(&config).await?;
        services.push(Service::start(host, config.clone()).await?);
    }
    // Topic i to host i mod N: each webhook is delivered once, to one host.
    for (index, topic) in TOPICS.iter().enumerate() {
        let service = &services[index % services.len()];
        let target = format!(
            "http://{}/webhooks/{SHOPIFY_CONNECTION}",
            service.local_addr()
        );
        sims.shopify.subscribe(topic, &target);
    }
    let watcher = Watcher::start(sims.clone(), sim_runtime);

    // The hosts share one inbox: the first one's is every host's.
    let service = &services[0];
    let mut shop = Shop::new(&sims, sim_runtime, service, &watcher, options.lines);
    let warmup = shop.create_at_once(options.warmup)?;
    shop.settle(&warmup).await.context("the warm-up orders")?;
    sims.intacct.faults().set_latency(options.intacct_latency);

    let base = shop.mark()?;
    let interval = Duration::from_secs(2) / options.offered_rate as u32;
    let offered = shop.create_paced(options.offered_orders, interval).await?;
    shop.settle(&offered)
        .await
        .context("the orders at the offered rate")?;
    let offered = shop.phase(&base, &offered)?;

    let base = shop.mark()?;
    let burst = shop.create_at_once(options.orders)?;
    shop.settle(&burst).await.context("the burst of orders")?;
    let burst = shop.phase(&base, &burst)?;

    let mut slow_intacct = Phase::default();
    if !options.slow_intacct.is_zero() {
        sims.intacct.faults().set_latency(options.slow_intacct);
        let base = shop.mark()?;
        let orders = shop.create_at_once(options.orders)?;
        shop.settle(&orders)
            .await
            .context("the orders with Intacct slow")?;
        slow_intacct = shop.phase(&base, &orders)?;
        sims.intacct.faults().set_latency(options.intacct_latency);
    }

    let base = shop.mark()?;
    let mut paced = Vec::new();
    for _ in 0..options.paced {
        let order = shop.create_at_once(1)?;
        shop.settle(&order).await.context("an order alone")?;
        paced.extend(order);
    }
    let paced = shop.phase(&base, &paced)?;

    let ledger_poll = watcher.stop();
    let recorded = service.inbox().recording_usage()?;
    for service in services {
        service.shutdown().await?;
    }
    Ok(Run {
        workers,
        batch,
        offered,
        burst,
        slow_intacct,
        paced,
        ledger_poll,
        recorded,
    })
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
