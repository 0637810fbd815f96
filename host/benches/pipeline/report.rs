//! What the bench prints: a table with one column per run (worker count × batch size), the
//! problems seen, and a last line `summary key=value …` of the run with the most events/s.

use crate::Options;
use crate::Run;
use crate::measure::{PathSums, Phase};

/// n8n's published figure: workflow executions a second on one 2-vCPU instance.
const N8N_PER_S: f64 = 220.0;

/// A row of the breakdown of an `orders/create` event: its label and its sum.
type PathRow = (&'static str, fn(&PathSums) -> f64);

pub fn print(options: &Options, runs: &[Run]) {
    let bucket = match options.bucket {
        crate::NO_BUCKET => "off".to_owned(),
        bucket => format!("{} points, {}/s", bucket.maximum, bucket.restore_rate),
    };
    let hosts = match options.hosts {
        1 => ("1 host".to_owned(), "the host's threads".to_owned()),
        hosts => (
            format!("{hosts} hosts in this process sharing the inbox"),
            format!("the {hosts} hosts' threads together"),
        ),
    };
    println!(
        "pipeline: Shopify → shopify-intacct → Intacct on the simulators, release, {} CPUs\n\
         orders of {} lines, unpaid (orders/create); each order also creates its customer, so \
         it is 2 events\nIntacct concurrency 1 and {:?} a request, Shopify cost bucket {bucket}; \
         after {} warm-up orders; store {}, {}\nCPU: {} (host CPU: the bench's process but the \
         simulators and the driver), the simulators' (with the bench's ledger watcher), the \
         bench's driver (the main thread) and the database server's (`postgres` processes) apart",
        std::thread::available_parallelism().map_or(0, |cpus| cpus.get()),
        options.lines,
        options.intacct_latency,
        options.warmup,
        options.store.name(),
        hosts.0,
        hosts.1,
    );
    let mut table = Table::new(
        runs.iter()
            .map(|run| format!("w{} b{}", run.workers, run.batch)),
    );
    if options.offered_orders > 0 {
        offered_rows(&mut table, options, runs);
    }
    burst_rows(&mut table, options, runs);
    if !options.slow_intacct.is_zero() {
        slow_intacct_rows(&mut table, options, runs);
    }
    if options.paced > 0 {
        table.section(&format!("one at a time: {} orders", options.paced));
        latency_rows(&mut table, runs, |run| &run.paced);
        table.row("plugin code per event (µs)", runs, |run| {
            format!("{:.0}", run.paced.plugin_us_per_event())
        });
        table.row(
            "plugin code / host CPU per event at saturation",
            runs,
            |run| {
                run.burst
                    .per_event_us(|cpu| cpu.host)
                    .map_or("n/a".into(), |host| {
                        format!("{:.0}%", 100.0 * run.paced.plugin_us_per_event() / host)
                    })
            },
        );
    }
    table.section(&format!("recordings ({})", on_off(options.recording)));
    table.row("recorded attempts", runs, |run| {
        run.recorded.recordings.to_string()
    });
    table.row("recorded per attempt: stored / raw (bytes)", runs, |run| {
        let (stored, raw) = recorded_per_attempt(run);
        format!("{stored:.0} / {raw:.0}")
    });
    table.print();

    for run in runs {
        let (cost, every) = run.ledger_poll;
        let name = format!("workers {} batch {}", run.workers, run.batch);
        println!(
            "{name}: a look at the books for new invoices took {cost:.2?} on average, every {every:.1?}"
        );
        for problem in [&run.offered, &run.burst, &run.slow_intacct, &run.paced]
            .into_iter()
            .flat_map(|phase| &phase.problems)
        {
            println!("{name}: {problem}");
        }
    }
    if let Some(best) = runs
        .iter()
        .max_by(|a, b| a.burst.events_per_s().total_cmp(&b.burst.events_per_s()))
    {
        println!("{}", summary(options, best));
    }
}

fn offered_rows(table: &mut Table, options: &Options, runs: &[Run]) {
    table.section(&format!(
        "offered: {} orders at {} webhooks/s",
        options.offered_orders, options.offered_rate
    ));
    table.row("webhooks/s sent", runs, |run| {
        format!("{:.0}", run.offered.offered_per_s())
    });
    table.row("webhook acknowledged p50 / p99 (ms)", runs, |run| {
        pair(&run.offered.acks, 1)
    });
    latency_rows(table, runs, |run| &run.offered);
}

fn burst_rows(table: &mut Table, options: &Options, runs: &[Run]) {
    table.section(&format!(
        "saturation: {} orders created at once",
        options.orders
    ));
    let phase: fn(&Run) -> &Phase = |run| &run.burst;
    table.row("events/s (first created → last done)", runs, |run| {
        format!("{:.0}", phase(run).events_per_s())
    });
    table.row("orders/s", runs, |run| {
        format!("{:.0}", phase(run).orders_per_s())
    });
    table.row("× n8n's 220/s", runs, |run| {
        format!("{:.2}", phase(run).events_per_s() / N8N_PER_S)
    });
    table.row("wall time (s)", runs, |run| {
        format!("{:.2}", phase(run).wall.as_secs_f64())
    });
    table.row("webhook acknowledged p50 / p99 (ms)", runs, |run| {
        pair(&phase(run).acks, 1)
    });
    latency_rows(table, runs, phase);
    table.row("host CPU per event (µs)", runs, |run| {
        optional(phase(run).per_event_us(|cpu| cpu.host))
    });
    table.row("simulators' CPU per event (µs)", runs, |run| {
        optional(phase(run).per_event_us(|cpu| cpu.sims))
    });
    table.row("the bench's driver CPU per event (µs)", runs, |run| {
        optional(phase(run).per_event_us(|cpu| cpu.driver))
    });
    table.row("database server CPU per event (µs)", runs, |run| {
        optional(phase(run).per_event_us(|cpu| cpu.database))
    });
    table.row(
        "plugin calls per event, wall, waiting for a CPU too (µs)",
        runs,
        |run| format!("{:.0}", phase(run).plugin_us_per_event()),
    );
    intacct_rows(table, runs, phase);
    table.row("Shopify queries per order", runs, |run| {
        let phase = phase(run);
        format!("{:.2}", phase.per_order(phase.queries as f64))
    });
    table.row("Shopify points per order: requested / cost", runs, |run| {
        let phase = phase(run);
        format!(
            "{:.0} / {:.0}",
            phase.per_order(phase.points_requested as f64),
            phase.per_order(phase.points_actual as f64)
        )
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
            let path = &phase(run).path;
            format!("{:.1}", value(path) / path.events.max(1) as f64)
        });
    }
}

fn slow_intacct_rows(table: &mut Table, options: &Options, runs: &[Run]) {
    table.section(&format!(
        "slow Intacct: {} orders at once, Intacct answering {:?} late",
        options.orders, options.slow_intacct
    ));
    let phase: fn(&Run) -> &Phase = |run| &run.slow_intacct;
    table.row("events/s", runs, |run| {
        format!("{:.0}", phase(run).events_per_s())
    });
    intacct_rows(table, runs, phase);
    latency_rows(table, runs, phase);
}

/// Intacct requests per order, and commands per request.
fn intacct_rows(table: &mut Table, runs: &[Run], phase: fn(&Run) -> &Phase) {
    table.row("Intacct requests per order", runs, |run| {
        let phase = phase(run);
        format!("{:.3}", phase.per_order(phase.intacct_requests as f64))
    });
    table.row("commands per Intacct request", runs, |run| {
        let phase = phase(run);
        format!(
            "{:.1}",
            phase.commands as f64 / phase.intacct_requests.max(1) as f64
        )
    });
}

/// Order created → invoice, and webhook received → done.
fn latency_rows(table: &mut Table, runs: &[Run], phase: fn(&Run) -> &Phase) {
    table.row(
        "created → invoice in Intacct p50 / p99 (ms)",
        runs,
        |run| pair(&phase(run).to_invoice, 0),
    );
    table.row("webhook received → done p50 / p99 (ms)", runs, |run| {
        pair(&phase(run).to_done, 0)
    });
}

fn on_off(flag: bool) -> &'static str {
    match flag {
        true => "on",
        false => "off",
    }
}

/// The bytes the recordings take per recorded attempt: compressed on disk, and before.
fn recorded_per_attempt(run: &Run) -> (f64, f64) {
    let recorded = &run.recorded;
    let attempts = recorded.recordings.max(1) as f64;
    (
        recorded.stored_bytes as f64 / attempts,
        recorded.raw_bytes as f64 / attempts,
    )
}

/// The machine-readable line.
fn summary(options: &Options, run: &Run) -> String {
    let (burst, slow) = (&run.burst, &run.slow_intacct);
    let number = |value: f64, decimals: usize| format!("{value:.decimals$}");
    let fields = [
        ("events_per_s", number(burst.events_per_s(), 0)),
        ("orders_per_s", number(burst.orders_per_s(), 0)),
        ("x_n8n", number(burst.events_per_s() / N8N_PER_S, 2)),
        ("ack_p50_ms", number(percentile(&run.offered.acks, 0.5), 2)),
        ("ack_p99_ms", number(percentile(&run.offered.acks, 0.99), 2)),
        (
            "offered_webhooks_per_s",
            number(run.offered.offered_per_s(), 0),
        ),
        (
            "ack_p99_saturation_ms",
            number(percentile(&burst.acks, 0.99), 1),
        ),
        (
            "host_cpu_us_per_event",
            optional(burst.per_event_us(|cpu| cpu.host)),
        ),
        (
            "sim_cpu_us_per_event",
            optional(burst.per_event_us(|cpu| cpu.sims)),
        ),
        (
            "db_cpu_us_per_event",
            optional(burst.per_event_us(|cpu| cpu.database)),
        ),
        (
            "plugin_us_per_event",
            number(run.paced.plugin_us_per_event(), 0),
        ),
        (
            "intacct_requests_per_order",
            number(slow.per_order(slow.intacct_requests as f64), 3),
        ),
        (
            "intacct_requests_per_order_instant",
            number(burst.per_order(burst.intacct_requests as f64), 3),
        ),
        (
            "shopify_points_requested_per_order",
            number(burst.per_order(burst.points_requested as f64), 0),
        ),
        (
            "shopify_points_actual_per_order",
            number(burst.per_order(burst.points_actual as f64), 0),
        ),
        (
            "slow_intacct_ms",
            options.slow_intacct.as_millis().to_string(),
        ),
        ("recording", on_off(options.recording).to_owned()),
        ("store", options.store.name().to_owned()),
        ("hosts", options.hosts.to_string()),
        (
            "recorded_bytes_per_attempt",
            number(recorded_per_attempt(run).0, 0),
        ),
        (
            "recorded_raw_bytes_per_attempt",
            number(recorded_per_attempt(run).1, 0),
        ),
        ("workers", run.workers.to_string()),
        ("batch", run.batch.to_string()),
    ];
    let fields: Vec<String> = fields
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    format!("summary {}", fields.join(" "))
}

fn optional(value: Option<f64>) -> String {
    value.map_or("n/a".into(), |value| format!("{value:.0}"))
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], quantile: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// p50 / p99 with `decimals`.
fn pair(sorted: &[f64], decimals: usize) -> String {
    format!(
        "{:.decimals$} / {:.decimals$}",
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
