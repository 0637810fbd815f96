//! Instantiate + one call, with and without the pooling allocator, in one run so the two compare
//! on the same machine state: `cargo bench -p ml-connector-host --bench instantiate`.
//! Prints mean, p50 and p99 per call for `testkit.ping` and `testkit-mapping.map`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ml_connector_builder::{BuildOptions, build_plugins};
use mlc_host::types::{Entity, Event};
use mlc_host::{Connection, Host, Pooling};

const WARMUP: usize = 20;
const CALLS: usize = 500;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let options = BuildOptions::workspace(root);
    build_plugins(&options, &mut |line| eprintln!("{line}"))?;

    println!("instantiate + one call, {CALLS} calls each (after {WARMUP} warm-up calls)");
    println!(
        "{:<10} {:<26} {:>10} {:>10} {:>10}",
        "allocator", "call", "mean", "p50", "p99"
    );
    let mut means = Vec::new();
    for pooling in [Pooling::Auto, Pooling::Off] {
        let host = Host::builder()
            .pooling(pooling)
            .cache_dir(options.out_dir.join(".compiled"))
            .build()?;
        host.load_plugin_dir(&options.out_dir).await?;
        let allocator = match host.pooling() {
            true => "pooling",
            false => "on-demand",
        };
        let connector = host.connector("testkit", Arc::new(Connection::new("bench")?))?;
        let ping = measure(|| {
            let connector = connector.clone();
            async move { connector.ping().await.result.map(drop) }
        })
        .await?;
        print_row(allocator, "testkit ping", &ping);

        let mapping = host.mapping("testkit-mapping", Default::default())?;
        let event = Event {
            key: "evt-1".into(),
            topic: "testkit.event".into(),
            reference: "r1".into(),
            occurred_at: None,
            payload: None,
        };
        let records = [Entity {
            kind: "testkit.record".into(),
            id: "r1".into(),
            body: "{\"total\":\"10.00\"}".into(),
        }];
        let map = measure(|| {
            let (mapping, event, records) = (mapping.clone(), event.clone(), records.clone());
            async move { mapping.map(&event, &records, "null").await.result.map(drop) }
        })
        .await?;
        print_row(allocator, "testkit-mapping map", &map);
        means.push((allocator, mean(&ping)));
    }
    if let [(first, a), (second, b)] = means.as_slice() {
        println!(
            "ping: {second} / {first} = {:.2}x",
            b.as_secs_f64() / a.as_secs_f64()
        );
    }
    Ok(())
}

async fn measure<F, Fut>(call: F) -> anyhow::Result<Vec<Duration>>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), mlc_host::CallError>>,
{
    for _ in 0..WARMUP {
        call().await?;
    }
    let mut times = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let started = Instant::now();
        call().await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times)
}

fn mean(times: &[Duration]) -> Duration {
    times.iter().sum::<Duration>() / times.len() as u32
}

fn print_row(allocator: &str, call: &str, sorted: &[Duration]) {
    let at = |quantile: f64| sorted[((sorted.len() - 1) as f64 * quantile) as usize];
    println!(
        "{allocator:<10} {call:<26} {:>10.1?} {:>10.1?} {:>10.1?}",
        mean(sorted),
        at(0.5),
        at(0.99)
    );
}
