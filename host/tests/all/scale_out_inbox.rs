//! The inbox that several hosts share through `[store]` on PostgreSQL (`support::postgres`). Two
//! inboxes on one database stand for two hosts: an event offered to both is stored once; claims
//! made at once never take one event twice; a host that stops extending its leases has its events
//! returned with an `interrupted` step, and its late outcome is refused while the host that took
//! the event over records its own; an event whose attempts are cut short again and again waits
//! for review. Then two serving hosts on one database: webhooks sent to either are posted once
//! each, and a host whose database goes away answers 503 and loses nothing it acknowledged.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use mlc_host::config::DEFAULT_LEASE;
use mlc_host::flow::{
    self, Arrival, EventFilter, Finish, Inbox, Pins, PollSave, Service, Status, Step,
};
use mlc_host::types::Event;
use serde_json::json;
use support::flows::{
    WEBHOOK_TOKEN, config_text, post_webhook, scratch, wait_settled, webhook_body, write_config,
};
use support::ledger::Ledger;

const SETTLE: Duration = Duration::from_secs(60);

/// Two hosts' inboxes on one fresh database.
async fn two_inboxes(test: &str) -> (Inbox, Inbox) {
    let database = support::postgres::database(test).await;
    let url = database.url();
    tokio::task::spawn_blocking(move || {
        (
            Inbox::connect(&url, None, DEFAULT_LEASE).expect("the first inbox connects"),
            Inbox::connect(&url, None, DEFAULT_LEASE).expect("the second inbox connects"),
        )
    })
    .await
    .unwrap()
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z")
        .unwrap()
        .to_utc()
        + chrono::Duration::seconds(seconds)
}

fn events(keys: impl IntoIterator<Item = String>) -> Vec<(String, Event)> {
    keys.into_iter()
        .map(|key| {
            let event = Event {
                key: key.clone(),
                topic: "testkit.event".into(),
                reference: key,
                occurred_at: None,
                payload: None,
            };
            ("orders".to_owned(), event)
        })
        .collect()
}

async fn receive(inbox: &Inbox, keys: impl IntoIterator<Item = String>, now: DateTime<Utc>) {
    let step = Step::note(0, "received", now, "webhook");
    inbox
        .receive("shop".into(), Arrival::Webhook, events(keys), step, now)
        .await
        .unwrap();
}

fn done() -> Finish {
    Finish::Done {
        external_ids: Vec::new(),
    }
}

/// The versions a host passes to `claim`: `hash` for the mapping of `flow`.
fn active(flow: &str, hash: &str) -> BTreeMap<String, Pins> {
    let pins = Pins::from([("testkit-mapping".to_owned(), hash.to_owned())]);
    BTreeMap::from([(flow.to_owned(), pins)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_out_an_event_keeps_the_versions_of_its_first_claim_until_a_person_replays_it() {
    let sqlite = Inbox::open(&scratch("inbox-pins").join("inbox.db")).unwrap();
    keeps_the_versions_of_its_first_claim(&sqlite, &sqlite).await;
    let (first, second) = two_inboxes("inbox_pins").await;
    keeps_the_versions_of_its_first_claim(&first, &second).await;
}

/// One event's claims, alternately through `first` and `second` (two hosts, or one), while the
/// active version changes.
async fn keeps_the_versions_of_its_first_claim(first: &Inbox, second: &Inbox) {
    receive(first, ["order-1".to_owned()], at(0)).await;
    let retry = |seconds| Finish::Retry {
        at: at(seconds),
        error: "Intacct answered 503".into(),
    };
    let claim = |inbox: &Inbox, seconds, active| {
        let inbox = inbox.clone();
        async move {
            let mut claimed = inbox.claim(1, at(seconds), &active).await.unwrap();
            assert_eq!(claimed.len(), 1, "the event is due at {seconds} s");
            claimed.remove(0)
        }
    };
    let pinned = |row: &flow::EventRow| {
        row.pins
            .as_ref()
            .map(|pins| pins["testkit-mapping"].clone())
    };

    // Claimed while its flow's plugins are not all loaded: not pinned yet.
    let row = claim(first, 1, active("refunds", "v0")).await;
    assert_eq!(row.pins, None);
    first
        .finish(row.id, 1, retry(2), Vec::new(), None, at(1))
        .await
        .unwrap();
    // The first claim with its flow's versions pins it; a retry on the other host after an
    // upgrade keeps them.
    let row = claim(second, 2, active("orders", "v1")).await;
    assert_eq!(pinned(&row).as_deref(), Some("v1"));
    second
        .finish(row.id, 2, retry(3), Vec::new(), None, at(2))
        .await
        .unwrap();
    let row = claim(first, 3, active("orders", "v2")).await;
    assert_eq!(
        pinned(&row).as_deref(),
        Some("v1"),
        "a retry runs what its first claim ran"
    );
    let failed = Finish::Failed {
        error: "refused".into(),
    };
    first
        .finish(row.id, 3, failed, Vec::new(), None, at(3))
        .await
        .unwrap();
    assert_eq!(
        pinned(&first.get(row.id).unwrap().unwrap()).as_deref(),
        Some("v1")
    );

    // A person's replay unpins it: its next claim takes the versions active then.
    let replayed = second.replay(row.id, "ops@example.com", at(4)).unwrap();
    assert_eq!(replayed.pins, None);
    let row = claim(second, 5, active("orders", "v2")).await;
    assert_eq!(pinned(&row).as_deref(), Some("v2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_out_two_hosts_store_an_event_once_and_never_claim_it_twice() {
    let (first, second) = two_inboxes("inbox_claims").await;
    let keys = |range: std::ops::Range<usize>| range.map(|n| format!("order-{n}"));
    // Both hosts are offered the same 60 events at once, in opposite orders.
    let offered = [(first.clone(), false), (second.clone(), true)].map(|(inbox, reversed)| {
        tokio::spawn(async move {
            let step = Step::note(0, "received", at(0), "webhook");
            let mut entries = events(keys(0..60));
            if reversed {
                entries.reverse();
            }
            inbox
                .receive("shop".into(), Arrival::Webhook, entries, step, at(0))
                .await
                .unwrap()
        })
    });
    let mut stored = Vec::new();
    for receipts in offered {
        stored.extend(receipts.await.unwrap());
    }
    let new: Vec<_> = stored.iter().filter(|receipt| !receipt.duplicate).collect();
    assert_eq!(new.len(), 60, "each event is new to exactly one host");
    let ids: BTreeSet<i64> = stored.iter().map(|receipt| receipt.id).collect();
    assert_eq!(ids.len(), 60, "both hosts got the same id for each event");

    // Each host claims as much as it can, at once, over and over.
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let claims = [first.clone(), second.clone()].map(|inbox| {
        let start = start.clone();
        tokio::spawn(async move {
            start.wait().await;
            let mut mine = Vec::new();
            loop {
                let claimed = inbox.claim(2, at(1), &Default::default()).await.unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.into_iter().map(|row| (row.id, row.attempts)));
            }
        })
    });
    let mut claimed = Vec::new();
    for mine in claims {
        claimed.extend(mine.await.unwrap());
    }
    let claimed_ids: BTreeSet<i64> = claimed.iter().map(|(id, _)| *id).collect();
    assert_eq!(claimed.len(), 60, "no event was claimed twice");
    assert_eq!(claimed_ids, ids);
    assert!(claimed.iter().all(|(_, attempt)| *attempt == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_out_a_stalled_host_loses_its_events_and_its_late_outcome_is_refused() {
    let (stalled, alive) = two_inboxes("inbox_leases").await;
    let lease =
        chrono::Duration::from_std(stalled.lease().expect("a shared inbox leases")).unwrap();
    receive(&stalled, (0..4).map(|n| format!("order-{n}")), at(0)).await;
    let taken = stalled.claim(2, at(1), &Default::default()).await.unwrap();
    let kept = alive.claim(2, at(1), &Default::default()).await.unwrap();
    assert_eq!((taken.len(), kept.len()), (2, 2));

    // Halfway through the lease the live host extends its leases; the stalled one does not.
    let half = at(1) + lease / 2;
    let held = kept.iter().map(|row| (row.id, row.attempts)).collect();
    assert_eq!(
        alive.keep_leases(held, half).await.unwrap(),
        Vec::<i64>::new()
    );

    // Past the first lease, any host returns what the stalled host held, and only that.
    let later = at(2) + lease;
    assert_eq!(alive.recover(later).await.unwrap(), 2);
    assert_eq!(
        alive.recover(later).await.unwrap(),
        0,
        "nothing is returned twice"
    );
    let retaken = alive.claim(10, later, &Default::default()).await.unwrap();
    let retaken_ids: BTreeSet<i64> = retaken.iter().map(|row| row.id).collect();
    let stalled_ids: BTreeSet<i64> = taken.iter().map(|row| row.id).collect();
    assert_eq!(
        retaken_ids, stalled_ids,
        "the live host takes the returned events over"
    );
    assert!(retaken.iter().all(|row| row.attempts == 2));

    // The stalled host wakes up and finishes its attempt: refused, its steps kept as what
    // happened; the live host's attempt then records the outcome.
    let lost = taken[0].id;
    let late_step = Step::note(1, "apply", later, "posted late");
    let refused = stalled
        .finish(lost, 1, done(), vec![late_step], None, later)
        .await
        .unwrap();
    assert!(!refused, "the late outcome is not recorded");
    let lost_row = alive.get(lost).unwrap().unwrap();
    assert_eq!((lost_row.status, lost_row.attempts), (Status::Running, 2));
    let held: Vec<(i64, u32)> = taken.iter().map(|row| (row.id, row.attempts)).collect();
    assert_eq!(
        stalled.keep_leases(held, later).await.unwrap().len(),
        2,
        "the stalled host learns both leases are gone"
    );
    assert!(
        alive
            .finish(lost, 2, done(), Vec::new(), None, later)
            .await
            .unwrap()
    );
    let detail = alive.show(lost).unwrap();
    assert_eq!(detail.event.status, Status::Done);
    let names: Vec<&str> = detail.steps.iter().map(|step| step.name.as_str()).collect();
    assert_eq!(names, ["received", "interrupted", "apply"]);
    let interrupted = detail.steps[1].message.as_deref().unwrap();
    assert!(
        interrupted.contains("lease of") && interrupted.contains("ran out"),
        "{interrupted}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_out_an_event_cut_short_three_times_waits_for_review() {
    let (first, second) = two_inboxes("inbox_poison").await;
    let lease = chrono::Duration::from_std(first.lease().unwrap()).unwrap();
    receive(&first, ["order-1".to_owned()], at(0)).await;
    let mut now = at(1);
    for round in 1..=3 {
        let inbox = if round % 2 == 0 { &second } else { &first };
        let claimed = inbox.claim(1, now, &Default::default()).await.unwrap();
        assert_eq!(claimed.len(), 1, "round {round}: the event runs again");
        now = now + lease + chrono::Duration::seconds(1);
        assert_eq!(second.recover(now).await.unwrap(), 1);
    }
    let rows = first.list(&EventFilter::default()).unwrap();
    assert_eq!(rows[0].status, Status::Review);
    assert!(
        rows[0]
            .review_reason
            .as_deref()
            .unwrap()
            .contains("cut short"),
        "{:?}",
        rows[0].review_reason
    );
    assert!(
        first
            .claim(1, now, &Default::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_out_two_serving_hosts_post_each_event_once() {
    let database = support::postgres::database("inbox_two_hosts").await;
    let ledger = Ledger::start().await;
    let mut services = Vec::new();
    for n in 0..2 {
        let dir = scratch(&format!("inbox-two-hosts-{n}"));
        let store = database.store_section(&dir);
        let config = write_config(&dir, &config_text(&dir, &ledger, &store));
        let host = flow::open_host(&config).await.expect("the host opens");
        services.push(Service::start(host, config).await.expect("the host serves"));
    }
    let bases: Vec<String> = services
        .iter()
        .map(|service| format!("http://{}", service.local_addr()))
        .collect();
    // 40 events, each sent to both hosts (a sender retrying through the load balancer).
    for n in 0..40 {
        let key = format!("order-{n}");
        for base in &bases {
            let body = webhook_body(&[(key.as_str(), json!({}))]);
            let (status, answer) = post_webhook(base, "shop", WEBHOOK_TOKEN, body).await;
            assert_eq!(status, 200, "{answer}");
        }
    }
    for service in &services {
        let rows = wait_settled(service.inbox(), 40, &[Status::Done], SETTLE).await;
        assert_eq!(rows.len(), 40, "both hosts see the one inbox");
    }
    let mut keys: Vec<String> = ledger
        .entries()
        .into_iter()
        .map(|entry| entry.key)
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 40);
    assert_eq!(ledger.writes(), 40, "each event posted once");
    for service in services {
        service.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_out_one_host_at_a_time_polls_a_flow_and_only_it_moves_the_cursor() {
    let (first, second) = two_inboxes("inbox_polling").await;
    let lease = chrono::Duration::from_std(first.lease().unwrap()).unwrap();
    let poll = |cursor: &str, key: &str| PollSave {
        flow: "labels".into(),
        connection: "shop".into(),
        events: events([key.to_owned()])
            .into_iter()
            .map(|(_, event)| event)
            .collect(),
        cursor: Some(cursor.into()),
        step: Step::note(0, "received", at(0), "poll"),
    };
    assert!(first.lead_poll("labels", at(0)).await.unwrap());
    assert!(
        !second.lead_poll("labels", at(1)).await.unwrap(),
        "the first host holds it"
    );
    first
        .save_poll(poll("1", "label-1"), at(60), at(1))
        .await
        .unwrap();
    assert!(
        first.lead_poll("labels", at(2)).await.unwrap(),
        "the holder renews its lease"
    );

    // The second host cannot save a poll it was not given; nothing of it is kept.
    let refused = second
        .save_poll(poll("9", "label-9"), at(60), at(3))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("polled by another host"),
        "{refused}"
    );
    assert!(
        second
            .poll_failed("labels".into(), "x".into(), at(60), at(3))
            .await
            .is_err()
    );
    assert_eq!(
        second.poll_state("labels").unwrap().cursor.as_deref(),
        Some("1")
    );

    // The first host stops; once its lease ran out, the second takes over from its cursor, and
    // the first host's late poll is refused.
    let later = at(3) + lease;
    assert!(second.lead_poll("labels", later).await.unwrap());
    second
        .save_poll(poll("2", "label-2"), later, later)
        .await
        .unwrap();
    let late = first.save_poll(poll("0", "label-0"), later, later).await;
    assert!(late.is_err(), "the first host no longer polls it");
    let state = first.poll_state("labels").unwrap();
    assert_eq!(
        state.cursor.as_deref(),
        Some("2"),
        "the cursor never goes back"
    );
    let keys: BTreeSet<String> = first
        .list(&EventFilter::default())
        .unwrap()
        .into_iter()
        .map(|row| row.key)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["label-1".to_owned(), "label-2".to_owned()])
    );
}
