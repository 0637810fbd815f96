//! Polling on three `mlc run` processes that share one `[store]` database: the ShipStation →
//! Intacct flow, polled every [`INTERVAL`] on a [`LEASE`] while labels keep coming. This file owns
//! the proof that one host at a time polls a flow. The simulator holds each listing by date
//! window (a poll's requests) [`LISTING_LATENCY`], so two hosts polling at once would overlap
//! there: no two ever do, and no host has a poll's result refused. The leader, its pid read from
//! the flow's `cursors` row, is SIGKILLed mid-poll: another host leads and lists within the lease
//! plus the interval (and a margin for a busy machine). The cursor, read from that row throughout,
//! never goes back. Then each listing is held [`SLOW_LISTING`], so a poll outlasts the lease: its
//! host renews the lease while it polls, and the slow polls are saved, still one at a time.
//! Every label is posted once as a GL batch, its event done.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use mlc_host::config::Config;
use mlc_host::flow::{self, Status};
use simulators::shipstation::{ShipStationConfig, ShipStationSim, ShipmentSpec, WindowListing};
use simulators::shipstation_intacct::{self, FLOW};
use simulators::shopify_intacct::{Setup, ShopifyIntacct, demo_configs};
use support::flows::{scratch, wait_settled};
use support::postgres::Database;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::process::MlcRun;

/// The flow's `poll_interval`.
const INTERVAL: Duration = Duration::from_secs(1);
/// `[store] lease`: how long a host leads the flow's polling without renewing it.
const LEASE: Duration = Duration::from_secs(3);
/// ShipStation answers each of a poll's listings this late, so that polls overlapping in time
/// overlap in the simulator's record.
const LISTING_LATENCY: Duration = Duration::from_millis(150);
/// What a shared, busy machine may add to a takeover beyond the lease and the interval: the
/// poller's tick, the connector's call, the listing's latency.
const TAKEOVER_MARGIN: Duration = Duration::from_secs(4);
/// A new label in the account this often, all through the test.
const LABEL_EVERY: Duration = Duration::from_millis(250);
/// The flow's `cursors` row is read this often.
const READ_EVERY: Duration = Duration::from_millis(25);
/// Polls seen before the kill, and after the takeover.
const POLLS: usize = 3;
/// The longest any one wait of the test may take.
const WAIT: Duration = Duration::from_secs(60);
/// ShipStation answers each listing this late in the last phase: a poll of two listings takes
/// longer than the lease, which its host renews while it polls.
const SLOW_LISTING: Duration = Duration::from_secs(2);
/// Slow polls saved before the test ends.
const SLOW_POLLS: usize = 2;
/// What a host logs when its poll's result is refused or its poll dropped: another host leads the
/// flow now.
const REFUSED: [&str; 2] = ["this poll's result is not kept", "this poll is dropped"];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_out_polling_one_host_at_a_time_a_killed_leader_replaced_within_its_lease_the_cursor_never_back()
 {
    let (shopify, intacct) = demo_configs();
    // Two listings a poll every second, beside each label's look-ups: far above ShipStation's
    // limits, which are not what this test is about.
    let account = ShipStationConfig {
        v1_rate_limit: 10_000,
        v2_rate_limit: 10_000,
        ..ShipStationConfig::new(intacct.clock.clone())
    };
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let ship = Arc::new(ShipStationSim::start(account).await.unwrap());
    ship.set_window_listing_latency(LISTING_LATENCY);
    let database = support::postgres::database("scale_out_polling").await;
    let dir = scratch("scale-out-polling");
    let extra = shipstation_intacct::config_section(&ship, &dir, &seconds(INTERVAL)).unwrap()
        + &format!(
            "{}lease = \"{}\"\n",
            database.store_section(&dir),
            seconds(LEASE)
        );
    let setup = Setup {
        flow: false,
        ..Setup::new(support::plugin_dir())
    };
    let path = sims.write_config(&dir, &setup, &extra).unwrap();
    let mut hosts = vec![MlcRun::start(&path)];
    // The first host made the tables: the row is read from its first poll on.
    let rows = CursorRows::watch(&database).await;
    let labels = Labeller::start(ship.clone());
    hosts.extend((1..3).map(|_| MlcRun::start(&path)));

    let before_kill = wait_until("the flow polled by one leader", || {
        let row = rows.latest().ok_or("no cursors row yet")?;
        match polls_since(&ship, None) {
            polls if polls >= POLLS && row.leader.is_some() => Ok(row),
            polls => Err(format!("{polls} poll(s), the row {row:?}")),
        }
    })
    .await;
    // The last poll counted has had its first listing answered: the leader dies mid-poll, its
    // second listing about to go or in flight.
    let leader = before_kill.leader.clone().unwrap();
    let killed = hosts
        .iter()
        .position(|host| host.child.id() == pid(&leader))
        .unwrap_or_else(|| panic!("the leader {leader} is none of the three hosts"));
    let lease_left = before_kill.lease_until.unwrap() - Utc::now().timestamp_millis();
    hosts[killed].child.kill().unwrap();
    hosts[killed].child.wait().unwrap();
    let killed_at = Instant::now();

    let (successor, first_listing) = wait_until("another host leading and listing", || {
        let row = rows.latest().ok_or("no cursors row")?;
        let listed = ship
            .window_listings()
            .into_iter()
            .map(|listing| listing.arrived)
            .filter(|arrived| *arrived > killed_at)
            .min();
        match (row.leader, listed) {
            (Some(now), Some(arrived)) if now != leader => Ok((now, arrived)),
            (now, arrived) => Err(format!("leader {now:?}, first listing {arrived:?}")),
        }
    })
    .await;
    let took = first_listing - killed_at;
    let alive: Vec<u32> = hosts.iter().map(|host| host.child.id()).collect();
    assert!(
        pid(&successor) != pid(&leader) && alive.contains(&pid(&successor)),
        "the successor {successor} is a living host: {alive:?}"
    );
    wait_until("the successor polling on", || {
        match polls_since(&ship, Some(first_listing)) {
            polls if polls >= POLLS => Ok(()),
            polls => Err(format!("{polls} poll(s) since it took over")),
        }
    })
    .await;

    // Polls longer than the lease: their host renews it while it polls, so each is saved (the
    // cursor moves), and still never two at once.
    ship.set_window_listing_latency(SLOW_LISTING);
    let slow_from = Instant::now();
    wait_until("slow polls saved", || match rows.moves_since(slow_from) {
        moves if moves >= SLOW_POLLS => Ok(()),
        moves => Err(format!(
            "the cursor moved {moves} time(s) since polls got slow"
        )),
    })
    .await;

    let labelled = labels.stop().await;
    let inbox = flow::open_inbox(&Config::load(&path).unwrap()).unwrap();
    let events = wait_settled(&inbox, labelled.len(), &[Status::Done], WAIT).await;
    let readings = rows.stop().await;
    let listings = ship.window_listings();
    let closest = assert_one_at_a_time(&listings);
    for host in &hosts {
        let stderr = host.stderr();
        assert!(
            !REFUSED.iter().any(|refused| stderr.contains(refused)),
            "a host polled while another led: {stderr}"
        );
    }
    let moves = assert_never_back(&readings);
    let at_kill = readings
        .iter()
        .rev()
        .find(|reading| reading.read_at < killed_at)
        .and_then(|reading| reading.cursor.as_deref())
        .map(read_to);
    let last = readings
        .last()
        .and_then(|reading| reading.cursor.as_deref());
    assert!(
        last.map(read_to) > at_kill,
        "the successor moved the cursor on: {at_kill:?}, then {last:?}"
    );

    let mut keys: Vec<String> = events.iter().map(|event| event.key.clone()).collect();
    keys.sort();
    let mut expected: Vec<String> = labelled.iter().map(|id| format!("shipment/{id}")).collect();
    expected.sort();
    assert_eq!(keys, expected, "one event a label, each done");
    let ledger = sims.ledger();
    for id in &labelled {
        let controlid = format!("shipstation-intacct/shipment/{id}");
        let posted = ledger
            .gl_batches
            .iter()
            .filter(|batch| batch.controlid == controlid)
            .count();
        assert_eq!(posted, 1, "label {id} posted once as a GL batch");
    }
    assert_eq!(ledger.gl_batches.len(), labelled.len(), "no other batch");

    let bound = LEASE + INTERVAL + TAKEOVER_MARGIN;
    let polls = listings
        .iter()
        .filter(|listing| listing.filter == "createDate")
        .count();
    println!(
        "scale-out polling: leader pid {} SIGKILLed with {lease_left} ms of its {LEASE:?} lease \
         left; pid {} led and listed {} ms later (bound {} ms: lease + interval {INTERVAL:?} + \
         margin {TAKEOVER_MARGIN:?}); {polls} polls ({} listings of {LISTING_LATENCY:?}, the last \
         polls' {SLOW_LISTING:?}, so they outlast the lease), never two at once (two polls {} ms \
         apart at the closest); the cursor read {} times, moved {moves} times, never back; {} \
         labels, each posted once",
        pid(&leader),
        pid(&successor),
        took.as_millis(),
        bound.as_millis(),
        listings.len(),
        closest.as_millis(),
        readings.len(),
        labelled.len(),
    );
    assert!(
        took <= bound,
        "another host took over {took:?} after the kill, more than {bound:?}"
    );
}

/// `"3s"`, as the config takes a whole number of seconds.
fn seconds(duration: Duration) -> String {
    format!("{}s", duration.as_secs())
}

/// The pid in a `leader` (`hostname:pid:n`).
fn pid(leader: &str) -> u32 {
    leader
        .split(':')
        .nth(1)
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("a leader is hostname:pid:n, not {leader}"))
}

/// Polls that listed in the simulator (a poll's first listing is by create date), since `after`
/// if given.
fn polls_since(ship: &ShipStationSim, after: Option<Instant>) -> usize {
    ship.window_listings()
        .iter()
        .filter(|listing| {
            listing.filter == "createDate" && after.is_none_or(|after| listing.arrived > after)
        })
        .count()
}

/// Asserts that no two listings were in the simulator at once; the shortest time from one poll's
/// last answer to the next poll's first listing.
fn assert_one_at_a_time(listings: &[WindowListing]) -> Duration {
    let mut listings = listings.to_vec();
    listings.sort_by_key(|listing| listing.arrived);
    let first = listings.first().expect("the flow was polled").arrived;
    listings
        .windows(2)
        .map(|pair| {
            let gap = pair[1].arrived.checked_duration_since(pair[0].answered);
            let gap = gap.unwrap_or_else(|| {
                let at = |instant: Instant| (instant - first).as_millis();
                panic!(
                    "two polls listed at once: {} from {} to {} ms, {} from {} to {} ms",
                    pair[0].filter,
                    at(pair[0].arrived),
                    at(pair[0].answered),
                    pair[1].filter,
                    at(pair[1].arrived),
                    at(pair[1].answered),
                )
            });
            (pair[1].filter, gap)
        })
        .filter(|(next, _)| *next == "createDate")
        .map(|(_, gap)| gap)
        .min()
        .expect("the flow was polled more than once")
}

/// Asserts that the cursor never went back from one reading to the next (nor away); how many
/// times it moved.
fn assert_never_back(readings: &[CursorRow]) -> usize {
    let marks: Vec<Option<[DateTime<Utc>; 2]>> = readings
        .iter()
        .map(|reading| reading.cursor.as_deref().map(read_to))
        .collect();
    let mut moves = 0;
    for (n, pair) in marks.windows(2).enumerate() {
        let went_back = match (pair[0], pair[1]) {
            (Some(_), None) => true,
            (Some(before), Some(after)) => after[0] < before[0] || after[1] < before[1],
            (None, _) => false,
        };
        assert!(
            !went_back,
            "the cursor went back: {:?} then {:?}",
            readings[n].cursor,
            readings[n + 1].cursor
        );
        moves += usize::from(pair[0] != pair[1]);
    }
    moves
}

/// How far the ShipStation connector's cursor says each stream was read: shipments, voids.
fn read_to(cursor: &str) -> [DateTime<Utc>; 2] {
    let cursor: serde_json::Value = serde_json::from_str(cursor)
        .unwrap_or_else(|error| panic!("the cursor {cursor} is not JSON: {error}"));
    ["shipments", "voids"].map(|stream| {
        cursor[stream]["read_to"]
            .as_str()
            .and_then(|time| time.parse().ok())
            .unwrap_or_else(|| panic!("the cursor {cursor} has no {stream}.read_to"))
    })
}

/// Checks `found` every few milliseconds until it gives a value; past [`WAIT`], panics with
/// `what` and the last thing `found` said was missing.
async fn wait_until<T>(what: &str, mut found: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        match found() {
            Ok(value) => return value,
            Err(missing) => assert!(
                Instant::now() < deadline,
                "{what}: not within {WAIT:?}; {missing}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The flow's `cursors` row as read at one moment.
#[derive(Debug, Clone)]
struct CursorRow {
    read_at: Instant,
    leader: Option<String>,
    /// Milliseconds since the epoch.
    lease_until: Option<i64>,
    cursor: Option<String>,
}

/// The flow's `cursors` row, read every [`READ_EVERY`] by a task of its own, every reading kept.
struct CursorRows {
    readings: Arc<Mutex<Vec<CursorRow>>>,
    task: JoinHandle<()>,
}

impl CursorRows {
    async fn watch(database: &Database) -> Self {
        let (client, connection) = tokio_postgres::connect(&database.url(), tokio_postgres::NoTls)
            .await
            .expect("the test database answers");
        tokio::spawn(connection);
        let readings = Arc::<Mutex<Vec<CursorRow>>>::default();
        let kept = readings.clone();
        let task = tokio::spawn(async move {
            loop {
                let row = client
                    .query_opt(
                        "SELECT leader, lease_until, cursor FROM cursors WHERE flow = $1",
                        &[&FLOW],
                    )
                    .await
                    .expect("reading the flow's cursors row");
                if let Some(row) = row {
                    kept.lock().unwrap().push(CursorRow {
                        read_at: Instant::now(),
                        leader: row.get(0),
                        lease_until: row.get(1),
                        cursor: row.get(2),
                    });
                }
                tokio::time::sleep(READ_EVERY).await;
            }
        });
        Self { readings, task }
    }

    /// How many times the cursor changed between readings taken after `since`.
    fn moves_since(&self, since: Instant) -> usize {
        let readings = self.readings.lock().unwrap();
        let cursors: Vec<_> = readings
            .iter()
            .filter(|reading| reading.read_at > since)
            .map(|reading| &reading.cursor)
            .collect();
        cursors.windows(2).filter(|pair| pair[0] != pair[1]).count()
    }

    fn latest(&self) -> Option<CursorRow> {
        assert!(!self.task.is_finished(), "the cursors row reader stopped");
        self.readings.lock().unwrap().last().cloned()
    }

    /// Stops reading; every reading, in order.
    async fn stop(self) -> Vec<CursorRow> {
        self.task.abort();
        if let Err(ended) = self.task.await
            && ended.is_panic()
        {
            std::panic::resume_unwind(ended.into_panic());
        }
        self.readings.lock().unwrap().clone()
    }
}

/// Adds a label to the account every [`LABEL_EVERY`] until stopped.
struct Labeller {
    stop: watch::Sender<bool>,
    task: JoinHandle<Vec<u64>>,
}

impl Labeller {
    fn start(ship: Arc<ShipStationSim>) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut ids = Vec::new();
            while !*stopped.borrow() {
                let order_number = ["SO-1001", "SO-1002"][ids.len() % 2];
                let label = ship.add_shipment(ShipmentSpec {
                    order_number: order_number.into(),
                    ..ShipmentSpec::default()
                });
                ids.push(label.id);
                tokio::select! {
                    _ = tokio::time::sleep(LABEL_EVERY) => {}
                    _ = stopped.changed() => {}
                }
            }
            ids
        });
        Self { stop, task }
    }

    /// Stops adding labels; the ids of those added.
    async fn stop(self) -> Vec<u64> {
        self.stop.send(true).unwrap();
        self.task.await.unwrap()
    }
}
