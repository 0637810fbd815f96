//! The operators' console at 100,000 events: `cargo bench -p ml-connector-host --bench console`.
//! docs/benchmarks.md says how to read what it prints.
//!
//! Fills a fresh inbox through the inbox's own API (`receive`, `claim`, `finish`, `resolve`,
//! `release`) with `MLC_BENCH_EVENTS` events (default 100,000) over 30 days: three flows, five
//! topics, every settled status and a few pending, each referencing an order (`#10234`). Then
//! serves it with `mlc run`'s code (`flow::open_host`, `Service::start`, the test flow's config
//! with an `[admin]` token), signs in as a browser does and times real HTTP requests for each
//! page: the events list unfiltered, filtered each way and deep in its pages, the overview and
//! the review queue. Prints p50 and max per page and a last line `summary key=value …`.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use mlc_host::flow::{self, Arrival, EventRow, Finish, Inbox, Resolution, Service, Step};
use mlc_host::types::Event;
use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN, SET_COOKIE};
use reqwest::redirect::Policy;
use support::flows::{ADMIN_TOKEN, config_text, scratch, write_config};
use support::ledger::Ledger;

/// Requests timed per page, after [`WARMUP`] untimed ones.
const REPETITIONS: usize = 30;
const WARMUP: usize = 3;
/// How far back the events go.
const SPAN: chrono::Duration = chrono::Duration::days(30);
/// The newest events, left pending (due tomorrow, so the engine leaves them alone).
const PENDING: usize = 300;
/// Writes in flight at once while filling; the inbox commits them in groups.
const IN_FLIGHT: usize = 1024;
/// The fewest events the cases make sense with (the searched order is event 702 to 704).
const FEWEST: usize = 1000;
/// The order the text case looks for: one order, three events, among the oldest.
const SEARCHED_ORDER: &str = "#10234";

/// The flows besides the test config's `orders`, on the same source, mapping and sink; each
/// names its book in its mapping config (which the mapping ignores), as two flows may not apply
/// one event alike.
const MORE_FLOWS: &str = r#"
[flows.fulfillments]
source = "shop"
events = ["testkit.event"]
mapping = "testkit-mapping"
sink = "ledger"
mapping_config = { command = "post", book = "fulfillments" }

[flows.refunds]
source = "shop"
events = ["testkit.event"]
mapping = "testkit-mapping"
sink = "ledger"
mapping_config = { command = "post", book = "refunds" }
"#;

/// Each flow's topics, and the share of events (per thousand) each takes.
const TOPICS: [(&str, &str, u64); 5] = [
    ("orders", "orders/create", 400),
    ("orders", "orders/paid", 270),
    ("orders", "orders/cancelled", 30),
    ("fulfillments", "fulfillments/create", 200),
    ("refunds", "refunds/create", 100),
];

/// How each settled event ended, and the share (per thousand) that ends so; the rest are done.
#[derive(Clone, Copy)]
enum Ending {
    Done,
    Failed,
    Review,
    Skipped,
    Retry,
}

const ENDINGS: [(Ending, u64); 4] = [
    (Ending::Failed, 30),
    (Ending::Review, 20),
    (Ending::Skipped, 10),
    (Ending::Retry, 10),
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let events = events_wanted()?;
    let ledger = Ledger::start().await;
    let dir = scratch("console-bench");
    let config = write_config(&dir, &config_text(&dir, &ledger, MORE_FLOWS));

    let started = Instant::now();
    let newest_id = fill(&flow::open_inbox(&config)?, events, Utc::now()).await?;
    eprintln!("{events} events in the inbox in {:.1?}", started.elapsed());

    let service = Service::start(flow::open_host(&config).await?, config).await?;
    let timings = time_pages(&format!("http://{}", service.local_addr()), newest_id).await;
    service.shutdown().await?;
    print(events, &timings?);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Signs in to the console at `base` and times each of the [`cases`].
async fn time_pages(base: &str, newest_id: i64) -> anyhow::Result<Vec<Timing>> {
    let browser = Browser::sign_in(base).await?;
    let mut timings = Vec::new();
    for (name, path) in cases(newest_id) {
        let times = browser
            .time(&path)
            .await
            .with_context(|| format!("the `{name}` page ({path})"))?;
        timings.push(Timing { name, path, times });
    }
    Ok(timings)
}

/// `MLC_BENCH_EVENTS`, or 100,000.
fn events_wanted() -> anyhow::Result<usize> {
    match std::env::var("MLC_BENCH_EVENTS") {
        Ok(text) => match text.trim().parse() {
            Ok(count) if count >= FEWEST => Ok(count),
            _ => bail!("MLC_BENCH_EVENTS: `{text}` is not a number of at least {FEWEST}"),
        },
        Err(_) => Ok(100_000),
    }
}

/// The pages timed: a name for the table and the summary, and the path. The deep pages start
/// three quarters of the way to the oldest event: page 1,500 of 2,000 at 100,000 events.
fn cases(newest_id: i64) -> Vec<(&'static str, String)> {
    let deep = newest_id / 4;
    let text: String = url::form_urlencoded::byte_serialize(SEARCHED_ORDER.as_bytes()).collect();
    vec![
        ("first_page", "/ui/events".into()),
        ("status_failed", "/ui/events?status=failed".into()),
        ("flow", "/ui/events?flow=refunds".into()),
        ("topic", "/ui/events?topic=orders%2Fcancelled".into()),
        ("text", format!("/ui/events?text={text}")),
        ("since", "/ui/events?since=24h".into()),
        ("deep_page", format!("/ui/events?before={deep}")),
        (
            "failed_deep_page",
            format!("/ui/events?status=failed&before={deep}"),
        ),
        ("overview", "/ui".into()),
        ("review", "/ui/review".into()),
    ]
}

/// The `n`th event (0 the oldest): its flow, topic, order and ending, spread evenly but not in
/// a pattern a filter could ride on. Its key ends with `n`: the inbox's ids follow the order in
/// which the concurrent writes landed, not `n`.
struct Synthetic {
    flow: &'static str,
    topic: &'static str,
    order: u64,
    ending: Ending,
}

impl Synthetic {
    fn nth(n: u64) -> Self {
        let (flow, topic) = pick(spread(n, 1), &TOPICS, ("orders", "orders/create"), |t| {
            ((t.0, t.1), t.2)
        });
        let ending = pick(spread(n, 2), &ENDINGS, Ending::Done, |&(ending, share)| {
            (ending, share)
        });
        Self {
            flow,
            topic,
            order: 10_000 + n / 3,
            ending,
        }
    }

    /// The `n` of an event's key, which ends with it.
    fn number(key: &str) -> anyhow::Result<u64> {
        key.rsplit('-')
            .next()
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("`{key}` is not a bench event's key"))
    }

    fn event(&self, n: u64) -> Event {
        let reference = format!("#{}", self.order);
        let payload = format!(
            r##"{{"id":{n},"name":"{reference}","email":"buyer{order}@example.com","currency":"USD","total_price":"{total}.{cents:02}","line_items":[{{"sku":"SKU-{sku}","quantity":{quantity},"price":"{total}.00"}}],"shipping_address":{{"city":"Portland","country":"US"}}}}"##,
            order = self.order,
            total = 10 + spread(n, 3) % 490,
            cents = spread(n, 4) % 100,
            sku = spread(n, 5) % 2000,
            quantity = 1 + spread(n, 6) % 4,
        );
        Event {
            key: format!("{}-{n}", self.topic),
            topic: self.topic.into(),
            reference,
            occurred_at: None,
            payload: Some(payload),
        }
    }

    /// How its attempt ends; `at` is when.
    fn finish(&self, at: DateTime<Utc>) -> Finish {
        let order = self.order;
        match self.ending {
            Ending::Done => Finish::Done {
                external_ids: vec![("invoice".into(), format!("INV-{order}"))],
            },
            Ending::Failed => Finish::Failed {
                error: format!("ledger refused #{order}: BL01 customer is on hold"),
            },
            Ending::Review | Ending::Skipped => Finish::Review {
                reason: format!("no sales order to match #{order}"),
            },
            Ending::Retry => Finish::Retry {
                at: at + chrono::Duration::days(1),
                error: "ledger answered 503".into(),
            },
        }
    }
}

/// A number from 0 to 999 for event `n`, different for each `salt`.
fn spread(n: u64, salt: u64) -> u64 {
    let mixed = (n ^ (salt << 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 32) % 1000
}

/// The entry of `shares` whose share (per thousand, cumulated in order) covers `per_mille`, or
/// `rest`.
fn pick<E, T: Copy>(per_mille: u64, shares: &[E], rest: T, entry: impl Fn(&E) -> (T, u64)) -> T {
    let mut covered = 0;
    for item in shares {
        let (value, share) = entry(item);
        covered += share;
        if per_mille < covered {
            return value;
        }
    }
    rest
}

/// When event `n` of `events` arrived: evenly over [`SPAN`] up to `now`.
fn received_at(n: usize, events: usize, now: DateTime<Utc>) -> DateTime<Utc> {
    now - SPAN + SPAN * n as i32 / events as i32
}

/// Fills `inbox` with `events` events ending at `now`: received, claimed, finished as their
/// [`Synthetic`] says, the newest [`PENDING`] put back pending. Returns the newest event's id.
async fn fill(inbox: &Inbox, events: usize, now: DateTime<Utc>) -> anyhow::Result<i64> {
    receive_all(inbox, events, now).await?;
    let claimed = inbox.claim(events, now, &Default::default()).await?;
    let (settled, pending) = claimed.split_at(events - PENDING);
    settle(inbox, settled).await?;
    let tomorrow = now + chrono::Duration::days(1);
    inbox
        .release(pending.iter().map(|row| row.id).collect(), tomorrow)
        .await?;
    Ok(claimed.last().map_or(0, |row| row.id))
}

/// Takes in event 0 to `events - 1`, each at its own time, many writes sharing a commit.
async fn receive_all(inbox: &Inbox, events: usize, now: DateTime<Utc>) -> anyhow::Result<()> {
    let mut writes = Writes::new();
    for n in 0..events {
        let (inbox, at) = (inbox.clone(), received_at(n, events, now));
        let event = Synthetic::nth(n as u64);
        let entries = vec![(event.flow.to_owned(), event.event(n as u64))];
        let step = Step::note(0, "received", at, "webhook");
        writes.spawn(async move {
            inbox
                .receive("shop".into(), Arrival::Webhook, entries, step, at)
                .await
                .map(drop)
        });
        drain_if_full(&mut writes).await?;
    }
    drain(&mut writes).await
}

/// Finishes each claimed event as its [`Synthetic`] ends, a second or so after it arrived; then
/// skips, as a person would, those held for review that end skipped.
async fn settle(inbox: &Inbox, claimed: &[EventRow]) -> anyhow::Result<()> {
    let mut writes = Writes::new();
    let mut skipped = Vec::new();
    for row in claimed {
        let n = Synthetic::number(&row.key)?;
        let synthetic = Synthetic::nth(n);
        let at = row.received_at + chrono::Duration::milliseconds(800 + spread(n, 7) as i64);
        if let Ending::Skipped = synthetic.ending {
            skipped.push((row.id, at + chrono::Duration::hours(2)));
        }
        let (inbox, id, finish) = (inbox.clone(), row.id, synthetic.finish(at));
        writes.spawn(async move {
            inbox
                .finish(id, 1, finish, Vec::new(), None, at)
                .await
                .map(drop)
        });
        drain_if_full(&mut writes).await?;
    }
    drain(&mut writes).await?;
    let why = Resolution::Skip("posted by hand".into());
    for (id, at) in skipped {
        inbox.resolve(id, &why, "bench", at)?;
    }
    Ok(())
}

/// Inbox writes in flight.
type Writes = tokio::task::JoinSet<Result<(), mlc_host::flow::InboxError>>;

/// Waits for the writes in flight once there are [`IN_FLIGHT`] of them.
async fn drain_if_full(tasks: &mut Writes) -> anyhow::Result<()> {
    if tasks.len() >= IN_FLIGHT {
        drain(tasks).await?;
    }
    Ok(())
}

async fn drain(tasks: &mut Writes) -> anyhow::Result<()> {
    while let Some(written) = tasks.join_next().await {
        written??;
    }
    Ok(())
}

/// A browser signed in to the console: it keeps the session cookie.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Browser {
    /// Signs in with the admin token, as the login form does.
    async fn sign_in(base: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()?;
        let form = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("name", "Bench"), ("token", ADMIN_TOKEN)])
            .finish();
        let answer = http
            .post(format!("{base}/ui/login"))
            .header(ORIGIN, base)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await?;
        let cookie = answer
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok()?.split(';').next())
            .find(|pair| pair.starts_with("mlc_session="))
            .context("the login set no session cookie")?
            .to_owned();
        Ok(Self {
            http,
            base: base.to_owned(),
            cookie,
        })
    }

    /// Each of [`REPETITIONS`] requests for `path`, whole page read, after [`WARMUP`] untimed;
    /// sorted.
    async fn time(&self, path: &str) -> anyhow::Result<Vec<Duration>> {
        for _ in 0..WARMUP {
            self.page(path).await?;
        }
        let mut times = Vec::with_capacity(REPETITIONS);
        for _ in 0..REPETITIONS {
            let started = Instant::now();
            self.page(path).await?;
            times.push(started.elapsed());
        }
        times.sort();
        Ok(times)
    }

    /// The page at `path`, which must be there and, if it lists events, list some.
    async fn page(&self, path: &str) -> anyhow::Result<String> {
        let answer = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await?;
        let status = answer.status();
        let page = answer.text().await?;
        if !status.is_success() {
            bail!("answered {status}: {page}");
        }
        if page.contains("No events match.") {
            bail!("no events match, so the figures would say nothing");
        }
        Ok(page)
    }
}

/// One page's figures.
struct Timing {
    name: &'static str,
    path: String,
    times: Vec<Duration>,
}

impl Timing {
    fn p50(&self) -> f64 {
        ms(self.times[(self.times.len() - 1) / 2])
    }

    fn max(&self) -> f64 {
        ms(*self.times.last().unwrap_or(&Duration::ZERO))
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn print(events: usize, timings: &[Timing]) {
    println!(
        "console: {events} events over {} days, 3 flows, release, {} CPUs; {REPETITIONS} \
         requests a page after {WARMUP} warm-up ones, whole page read",
        SPAN.num_days(),
        std::thread::available_parallelism().map_or(0, |cpus| cpus.get()),
    );
    println!("{:<18} {:>10} {:>10}  path", "page", "p50 ms", "max ms");
    for timing in timings {
        println!(
            "{:<18} {:>10.2} {:>10.2}  {}",
            timing.name,
            timing.p50(),
            timing.max(),
            timing.path
        );
    }
    let worst = timings.iter().map(Timing::p50).fold(0.0, f64::max);
    let fields: Vec<String> = timings
        .iter()
        .flat_map(|timing| {
            [
                format!("{}_p50_ms={:.2}", timing.name, timing.p50()),
                format!("{}_max_ms={:.2}", timing.name, timing.max()),
            ]
        })
        .collect();
    println!(
        "summary events={events} repetitions={REPETITIONS} worst_p50_ms={worst:.2} {}",
        fields.join(" ")
    );
}
