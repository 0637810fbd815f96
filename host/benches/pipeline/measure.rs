//! Creating orders in the shop simulator, waiting for them to reach the books, and reading what a
//! phase cost from the inbox's audit trail, the simulators' records and the CPU split.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::bail;
use chrono::{DateTime, Utc};
use mlc_host::flow::{EventDetail, EventFilter, EventRow, Service, Status, Step};
use simulators::shopify_intacct::ShopifyIntacct;
use tokio::runtime::Handle;

use crate::cpu::CpuSplit;

/// How often the Intacct simulator's books are looked at for new invoices.
const LEDGER_POLL: Duration = Duration::from_millis(5);
/// How long one phase may take to settle before the bench gives up.
const SETTLE: Duration = Duration::from_secs(600);
/// The mapping config's `invoice.number_prefix`: order `#1001` is invoice `SH1001`.
const INVOICE_PREFIX: &str = "SH";

/// The figures of one phase.
#[derive(Default)]
pub struct Phase {
    pub orders: usize,
    pub events: usize,
    /// First order created → last event done.
    pub wall: Duration,
    /// First order created → last order created.
    pub creating: Duration,
    /// Order created → invoice present, ms, sorted.
    pub to_invoice: Vec<f64>,
    /// Webhook received → event done, `orders/create` events, ms, sorted.
    pub to_done: Vec<f64>,
    /// Webhook POST → the host's answer, as the shop's sender saw it, ms, sorted.
    pub acks: Vec<f64>,
    pub intacct_requests: usize,
    /// Shopify GraphQL points: requested, and what the queries cost once run.
    pub points_requested: u64,
    pub points_actual: u64,
    pub queries: usize,
    /// CPU time of the hosts' threads (all in-process hosts together), the simulators' (the
    /// bench's watcher included), the bench's driver and the database server.
    pub cpu: Option<CpuSplit>,
    /// Commands the mapping produced.
    pub commands: usize,
    /// Per-order work, batch shares counted: sums over the phase.
    pub work: Work,
    /// Where `orders/create` events spent their time: sums over those events.
    pub path: PathSums,
    /// Events not done, events that took more than one attempt, webhooks not accepted.
    pub problems: Vec<String>,
}

impl Phase {
    pub fn events_per_s(&self) -> f64 {
        self.events as f64 / self.wall.as_secs_f64()
    }

    pub fn orders_per_s(&self) -> f64 {
        self.orders as f64 / self.wall.as_secs_f64()
    }

    /// Webhooks sent per second while the orders were being created.
    pub fn offered_per_s(&self) -> f64 {
        self.acks.len() as f64 / self.creating.as_secs_f64().max(0.001)
    }

    pub fn per_order(&self, total: f64) -> f64 {
        total / self.orders.max(1) as f64
    }

    /// Microseconds of plugin calls per event (wall time: under load it includes waiting for a
    /// CPU, so only an idle pipeline's figure is the plugins' own cost).
    pub fn plugin_us_per_event(&self) -> f64 {
        self.work.plugin_ms * 1000.0 / self.events.max(1) as f64
    }

    /// Microseconds of `cpu` per event.
    pub fn per_event_us(&self, part: impl Fn(&CpuSplit) -> Duration) -> Option<f64> {
        let cpu = self.cpu.as_ref()?;
        Some(part(cpu).as_secs_f64() * 1e6 / self.events.max(1) as f64)
    }
}

#[derive(Default, Clone, Copy)]
pub struct Work {
    pub plugin_ms: f64,
    pub waits_ms: f64,
}

/// Sums over `orders/create` events, in ms.
#[derive(Default, Clone, Copy)]
pub struct PathSums {
    pub events: usize,
    /// Order created in the shop → event stored (delivery, verify, inbox write).
    pub delivered: f64,
    /// Received → done.
    pub lifetime: f64,
    /// Received → first fetch started.
    pub queue: f64,
    pub fetch_plugin: f64,
    pub fetch_wait: f64,
    pub map_plugin: f64,
    pub map_other: f64,
    /// Apply step started (the commands handed to the sink lane) → done, minus the apply call.
    pub lane: f64,
    pub apply_plugin: f64,
    pub apply_wait: f64,
}

impl PathSums {
    pub fn plugin(&self) -> f64 {
        self.fetch_plugin + self.map_plugin + self.apply_plugin
    }
}

/// The shop side of a run: creates orders and waits for them to reach the books.
pub struct Shop<'a> {
    sims: &'a ShopifyIntacct,
    /// The simulators' runtime: their webhooks are sent from its threads.
    sim_runtime: &'a Handle,
    service: &'a Service,
    watcher: &'a Watcher,
    lines: usize,
    /// Order id → when it was created.
    created: HashMap<String, (Instant, DateTime<Utc>)>,
}

/// One order created: its id and invoice number.
pub struct Created {
    id: String,
    invoice: String,
}

/// Where things stood before a phase.
pub struct Mark {
    last_event: i64,
    intacct_requests: usize,
    deliveries: usize,
    queries: usize,
    cpu: Option<CpuSplit>,
}

impl<'a> Shop<'a> {
    pub fn new(
        sims: &'a ShopifyIntacct,
        sim_runtime: &'a Handle,
        service: &'a Service,
        watcher: &'a Watcher,
        lines: usize,
    ) -> Self {
        Self {
            sims,
            sim_runtime,
            service,
            watcher,
            lines,
            created: HashMap::new(),
        }
    }

    /// Creates `count` orders one after the other, as fast as the shop makes them.
    pub fn create_at_once(&mut self, count: usize) -> anyhow::Result<Vec<Created>> {
        (0..count).map(|_| self.create()).collect()
    }

    /// Creates `count` orders, one every `interval` (on a fixed schedule: a late one does not
    /// push the others back).
    pub async fn create_paced(
        &mut self,
        count: usize,
        interval: Duration,
    ) -> anyhow::Result<Vec<Created>> {
        let start = tokio::time::Instant::now();
        let mut orders = Vec::with_capacity(count);
        for index in 0..count {
            tokio::time::sleep_until(start + interval * index as u32).await;
            orders.push(self.create()?);
        }
        Ok(orders)
    }

    fn create(&mut self) -> anyhow::Result<Created> {
        let _on_sims = self.sim_runtime.enter();
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

    /// Where things stand; the CPU is read last, so what this costs is not in the next phase.
    pub fn mark(&self) -> anyhow::Result<Mark> {
        let last = self.service.inbox().list(&EventFilter {
            limit: 1,
            ..Default::default()
        })?;
        Ok(Mark {
            last_event: last.first().map_or(0, |row| row.id),
            intacct_requests: self.sims.intacct.request_count(),
            deliveries: self.sims.shopify.deliveries().len(),
            queries: self.sims.shopify.query_costs().len(),
            cpu: CpuSplit::now(),
        })
    }

    /// Waits until every order's invoice is in the books and no event is left to run.
    pub async fn settle(&self, orders: &[Created]) -> anyhow::Result<()> {
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
                if settled_at.elapsed() < Duration::from_secs(2) {
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
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The figures of `orders`, created since `base` and settled now.
    pub fn phase(&self, base: &Mark, orders: &[Created]) -> anyhow::Result<Phase> {
        let cpu = CpuSplit::now();
        let inbox = self.service.inbox();
        let rows: Vec<EventRow> = inbox
            .list(&EventFilter {
                limit: usize::MAX >> 1,
                ..Default::default()
            })?
            .into_iter()
            .filter(|row| row.id > base.last_event)
            .collect();
        let queries = self.sims.shopify.query_costs();
        let queries = &queries[base.queries.min(queries.len())..];
        let deliveries = self.sims.shopify.deliveries();
        let deliveries = &deliveries[base.deliveries.min(deliveries.len())..];
        let mut phase = Phase {
            orders: orders.len(),
            events: rows.len(),
            intacct_requests: self.sims.intacct.request_count() - base.intacct_requests,
            cpu: cpu.zip(base.cpu).map(|(now, before)| now.since(before)),
            points_requested: queries.iter().map(|query| query.requested).sum(),
            points_actual: queries.iter().filter_map(|query| query.actual).sum(),
            queries: queries.len(),
            ..Phase::default()
        };
        for delivery in deliveries {
            phase.acks.push(ms(delivery.answered_in));
            if delivery.status != Some(200) {
                phase.problems.push(format!(
                    "webhook {} ({}) answered {:?} in {:.1?}",
                    delivery.webhook_id, delivery.topic, delivery.status, delivery.answered_in
                ));
            }
        }
        for order in orders {
            let seen = self.watcher.seen(&order.invoice).expect("settled");
            let (created, _) = self.created[&order.id];
            phase.to_invoice.push(ms(seen - created));
        }
        // `orders` are in the order they were created.
        if let (Some(first), Some(last)) = (orders.first(), orders.last()) {
            let (first, first_utc) = self.created[&first.id];
            let (last, _) = self.created[&last.id];
            phase.creating = last - first;
            let last_done = rows.iter().map(|row| row.updated_at).max();
            phase.wall = last_done.map_or(Duration::ZERO, |done| {
                (done - first_utc).to_std().unwrap_or_default()
            });
        }
        for row in &rows {
            let detail = inbox.show(row.id)?;
            note_problems(&mut phase, row, &detail);
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
        for sorted in [&mut phase.to_invoice, &mut phase.to_done, &mut phase.acks] {
            sorted.sort_by(f64::total_cmp);
        }
        Ok(phase)
    }
}

/// An event not done, or done after more than one attempt.
fn note_problems(phase: &mut Phase, row: &EventRow, detail: &EventDetail) {
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

/// Polls the Intacct simulator's books for invoices made since the last look, and notes when
/// each invoice number first appears.
pub struct Watcher {
    seen: Arc<Mutex<HashMap<String, Instant>>>,
    /// Looks taken, and their total time.
    cost: Arc<Mutex<(u32, Duration)>>,
    started: Instant,
    task: tokio::task::JoinHandle<()>,
}

impl Watcher {
    /// Starts polling on the simulators' runtime: its cost is theirs, not the host's.
    pub fn start(sims: Arc<ShopifyIntacct>, sim_runtime: &Handle) -> Self {
        let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
        let cost: Arc<Mutex<(u32, Duration)>> = Arc::default();
        let (seen_by_task, cost_by_task) = (seen.clone(), cost.clone());
        let task = sim_runtime.spawn(async move {
            let mut looked_at = 0;
            loop {
                let started = Instant::now();
                let new = sims.invoice_numbers(looked_at);
                let now = Instant::now();
                looked_at += new.len();
                {
                    let mut seen = seen_by_task.lock().unwrap();
                    for number in new.into_iter().flatten() {
                        seen.entry(number).or_insert(now);
                    }
                }
                {
                    let mut cost = cost_by_task.lock().unwrap();
                    cost.0 += 1;
                    cost.1 += now - started;
                }
                tokio::time::sleep(LEDGER_POLL).await;
            }
        });
        Self {
            seen,
            cost,
            started: Instant::now(),
            task,
        }
    }

    pub fn seen(&self, invoice: &str) -> Option<Instant> {
        self.seen.lock().unwrap().get(invoice).copied()
    }

    /// Stops polling; returns the mean time of one look and the mean time between two.
    pub fn stop(&self) -> (Duration, Duration) {
        self.task.abort();
        let (count, total) = *self.cost.lock().unwrap();
        (total / count.max(1), self.started.elapsed() / count.max(1))
    }
}

fn describe_counts(counts: &[(Status, u64)]) -> String {
    counts
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(status, count)| format!("{count} {status}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn millis(delta: chrono::TimeDelta) -> f64 {
    delta.num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0
}
