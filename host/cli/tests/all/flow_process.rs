//! The flow engine as a process: `mlc run` killed with SIGKILL in the middle of a burst and
//! started again (every event reaches the sink exactly once), stopped with SIGTERM (in-flight
//! events finish or are handed back), the operator's commands with the messages a user sees, and
//! the metrics and health probes a running `mlc` serves.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::process::{MlcRun, mlc, text};
use mlc_host::config::Config;
use mlc_host::flow::{self, EventFilter, Inbox, Status};
use serde_json::json;
use support::flows::*;
use support::ledger::Ledger;

const SETTLE: Duration = Duration::from_secs(60);

/// The inbox of the config in `dir`, on the store it names.
fn inbox(dir: &Path) -> Inbox {
    let config = Config::load(&dir.join("mlc.toml")).unwrap();
    flow::open_inbox(&config).unwrap()
}

/// Senders posting at the same time, so the host's inbox commits many webhooks together.
const SENDERS: usize = 8;

/// Posts each event once, from [`SENDERS`] senders at a time; returns the keys the host
/// acknowledged with 200.
async fn send_all(base: &str, keys: &[String]) -> BTreeSet<String> {
    let client = reqwest::Client::new();
    let mut senders = tokio::task::JoinSet::new();
    for share in keys.chunks(keys.len().div_ceil(SENDERS).max(1)) {
        let (client, url, share) = (
            client.clone(),
            format!("{base}/webhooks/shop"),
            share.to_vec(),
        );
        senders.spawn(async move {
            let mut acknowledged = Vec::new();
            for key in share {
                let body = webhook_body(&[(&key, json!({"key": key}))]);
                let sent = client
                    .post(&url)
                    .header("x-testkit-token", WEBHOOK_TOKEN)
                    .body(body)
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                if sent.is_ok_and(|response| response.status() == 200) {
                    acknowledged.push(key);
                }
            }
            acknowledged
        });
    }
    let mut acknowledged = BTreeSet::new();
    while let Some(share) = senders.join_next().await {
        acknowledged.extend(share.unwrap());
    }
    acknowledged
}

#[tokio::test]
async fn sigkill_mid_burst_then_restart_delivers_every_event_exactly_once() {
    let ledger = Ledger::start().await;
    ledger.set_delay(Duration::from_millis(60));
    let dir = scratch("crash");
    let config = dir.join("mlc.toml");
    std::fs::write(
        &config,
        config_text(&dir, &ledger, "").replace("batch = 20", "batch = 5"),
    )
    .unwrap();
    let keys: Vec<String> = (0..80).map(|n| format!("crash-{n:02}")).collect();

    let mut first = MlcRun::start(&config);
    let sender = tokio::spawn({
        let (base, keys) = (first.base.clone(), keys.clone());
        async move { send_all(&base, &keys).await }
    });
    assert!(
        ledger.wait_for_writes(15, SETTLE).await,
        "the burst reaches the sink"
    );
    first.child.kill().unwrap();
    first.wait(Duration::from_secs(10));
    let acknowledged = sender.await.unwrap();
    let at_kill = inbox(&dir)
        .list(&EventFilter {
            limit: 1000,
            ..Default::default()
        })
        .unwrap();
    assert!(
        at_kill.iter().any(|row| row.status != Status::Done),
        "the kill came mid-burst, with events still to process"
    );
    let stored: BTreeSet<&str> = at_kill.iter().map(|row| row.key.as_str()).collect();
    for key in &acknowledged {
        assert!(
            stored.contains(key.as_str()),
            "{key} was acknowledged before the kill, so it is in the inbox"
        );
    }
    assert!(ledger.writes() < 80);

    let second = MlcRun::start(&config);
    let unacknowledged: Vec<String> = keys
        .iter()
        .filter(|key| !acknowledged.contains(*key))
        .cloned()
        .collect();
    let resent = send_all(&second.base, &unacknowledged).await;
    assert_eq!(
        resent.len(),
        unacknowledged.len(),
        "the restarted host takes the redeliveries"
    );

    let rows = wait_settled(&inbox(&dir), 80, &[Status::Done], SETTLE).await;
    assert_eq!(rows.len(), 80, "one inbox row per event");
    for key in &keys {
        assert_eq!(
            ledger.count(&format!("{key}/0")),
            1,
            "{key} reached the sink exactly once"
        );
    }
    assert_eq!(ledger.writes(), 80);
}

#[tokio::test]
async fn sigterm_stops_taking_webhooks_finishes_in_flight_work_and_the_next_start_resumes() {
    let ledger = Ledger::start().await;
    ledger.set_delay(Duration::from_millis(300));
    let dir = scratch("sigterm");
    let config = dir.join("mlc.toml");
    std::fs::write(
        &config,
        config_text(&dir, &ledger, "").replace("batch = 20", "batch = 1"),
    )
    .unwrap();
    let keys: Vec<String> = (0..8).map(|n| format!("term-{n}")).collect();

    let mut run = MlcRun::start(&config);
    assert_eq!(send_all(&run.base, &keys).await.len(), 8);
    assert!(ledger.wait_for_writes(1, SETTLE).await);
    run.terminate();
    run.wait_for_line("mlc: stopping", Duration::from_secs(10));
    let late = send_all(&run.base, &["term-late".to_owned()]).await;
    assert!(late.is_empty(), "no webhook is taken once stopping");
    assert!(
        run.wait(Duration::from_secs(30)).success(),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("mlc: stopped"), "{}", run.stderr());

    let rows = inbox(&dir).list(&EventFilter::default()).unwrap();
    assert!(
        rows.iter().all(|row| row.status != Status::Running),
        "nothing is left running"
    );
    let next = MlcRun::start(&config);
    wait_settled(&inbox(&dir), 8, &[Status::Done], SETTLE).await;
    for key in &keys {
        assert_eq!(ledger.count(&format!("{key}/0")), 1);
    }
    drop(next);
}

#[tokio::test]
async fn operator_commands_list_show_replay_and_resolve() {
    let ledger = Ledger::start().await;
    ledger.reject_containing("SKU-BAD", "E42", "unknown SKU SKU-BAD");
    let dir = scratch("cli");
    let config = dir.join("mlc.toml");
    std::fs::write(&config, config_text(&dir, &ledger, "")).unwrap();
    let run = MlcRun::start(&config);
    send_all(&run.base, &["good-1".to_owned()]).await;
    let post = |key: &str, payload: serde_json::Value| {
        let (base, body) = (run.base.clone(), webhook_body(&[(key, payload)]));
        async move { post_webhook(&base, "shop", WEBHOOK_TOKEN, body).await }
    };
    post("bad-1", json!({"sku": "SKU-BAD"})).await;
    post("held-1", json!({"review": true})).await;
    // A webhook id with terminal control sequences (clear screen, bell).
    post("evil-\u{1b}[2J\u{7}", json!({})).await;
    let rows = wait_settled(
        &inbox(&dir),
        4,
        &[Status::Done, Status::Failed, Status::Review],
        SETTLE,
    )
    .await;
    let id_of = |key: &str| {
        rows.iter()
            .find(|row| row.key == key)
            .unwrap()
            .id
            .to_string()
    };

    let listed = mlc(&config, &["events", "list", "--status", "failed"]);
    let listed = text(&listed.stdout);
    assert!(
        listed.contains("bad-1") && listed.contains("[E42]") && !listed.contains("good-1"),
        "{listed}"
    );
    let all = text(&mlc(&config, &["events", "list"]).stdout);
    assert!(
        all.contains("evil-\\u{1b}[2J\\u{7}") && !all.contains('\u{1b}') && !all.contains('\u{7}'),
        "control characters reach the terminal escaped: {all:?}"
    );
    let shown = text(&mlc(&config, &["events", "show", &id_of("good-1")]).stdout);
    assert!(
        shown.contains("done") && shown.contains("created entry E-1"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("POST {}/entries → 200", ledger.base_url)),
        "{shown}"
    );
    assert!(
        shown.contains("apply") && shown.contains("testkit 0.1.0"),
        "{shown}"
    );

    let bad = mlc(&config, &["events", "list", "--status", "finished"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("unknown status `finished`"),
        "{}",
        text(&bad.stderr)
    );
    let missing = mlc(&config, &["events", "show", "4242"]);
    assert_eq!(
        text(&missing.stderr).trim(),
        "mlc: there is no event 4242 (list them with `mlc events list`)"
    );

    ledger.clear_rejections();
    let replayed = mlc(&config, &["replay", "--failed"]);
    assert!(replayed.status.success(), "{}", text(&replayed.stderr));
    assert!(text(&replayed.stdout).starts_with("1 failed event(s) pending again"));

    let review = text(&mlc(&config, &["review", "list"]).stdout);
    assert!(
        review.contains("held-1") && review.contains("asks for review"),
        "{review}"
    );
    let resolved = mlc(
        &config,
        &[
            "review",
            "resolve",
            &id_of("held-1"),
            "--with",
            r#"{"order":"SO-9"}"#,
        ],
    );
    assert!(resolved.status.success(), "{}", text(&resolved.stderr));
    let again = mlc(&config, &["review", "resolve", &id_of("held-1")]);
    assert!(
        text(&again.stderr).contains("only events waiting for review can be resolved"),
        "{}",
        text(&again.stderr)
    );
    let bad_json = mlc(
        &config,
        &["review", "resolve", &id_of("held-1"), "--with", "{order"],
    );
    assert!(text(&bad_json.stderr).contains("--with must be JSON"));

    wait_settled(&inbox(&dir), 4, &[Status::Done], SETTLE).await;
    assert_eq!(ledger.writes(), 4);
    let held = ledger
        .entries()
        .into_iter()
        .find(|entry| entry.key == "held-1/0")
        .unwrap();
    assert_eq!(held.body["resolution"], json!({"order": "SO-9"}));

    let ping = mlc(&config, &["ping", "shop"]);
    assert_eq!(
        text(&ping.stdout).trim(),
        "shop (testkit 0.1.0): ok: testkit ok: account test-shop"
    );
    let unknown = mlc(&config, &["ping", "shopp"]);
    assert!(
        text(&unknown.stderr).contains("there is no connection `shopp`"),
        "{}",
        text(&unknown.stderr)
    );
    assert!(text(&unknown.stderr).contains("(its connections: ledger, shop)"));
}

#[tokio::test]
async fn a_bad_config_is_refused_naming_the_file_the_key_and_the_fix() {
    let ledger = Ledger::start().await;
    let dir = scratch("badconfig");
    let config = dir.join("mlc.toml");
    let cases = [
        (
            "mapping = \"testkit-mapping\"",
            "mapping = \"no-such-mapping\"",
            "flows.orders.mapping",
        ),
        (
            "events = [\"testkit.event\"]",
            "events = [\"testkit.nothing\"]",
            "flows.orders.events",
        ),
        (
            "{ file = \"webhook-token\" }",
            "{ env = \"MLC_TEST_UNSET_VARIABLE\" }",
            "connections.shop.secrets.webhook-token",
        ),
        (
            "base_url = \"http",
            "base_url = \"htp:/",
            "connections.ledger.base_url",
        ),
    ];
    for (from, to, key) in cases {
        std::fs::write(&config, config_text(&dir, &ledger, "").replace(from, to)).unwrap();
        let output = mlc(&config, &["run"]);
        let stderr = text(&output.stderr);
        assert!(!output.status.success());
        assert!(
            stderr.contains(&format!("{}: {key}: ", config.display())),
            "{key}: {stderr}"
        );
        assert!(stderr.contains("fix: "), "{key}: {stderr}");
    }
}

/// Two clients hold connections open mid-request (one inside its headers, one inside its body)
/// with the server's timeouts far off; SIGTERM still ends `mlc run` within `shutdown_grace`.
#[tokio::test]
async fn sigterm_ends_the_process_within_the_grace_whatever_slow_clients_hold() {
    use std::io::Write;

    let ledger = Ledger::start().await;
    let dir = scratch("sigterm-slow-clients");
    let config = dir.join("mlc.toml");
    let text = config_text(&dir, &ledger, "").replace(
        "shutdown_grace = \"10s\"",
        "shutdown_grace = \"2s\"\nheader_timeout = \"10m\"\nbody_timeout = \"10m\"",
    );
    std::fs::write(&config, text).unwrap();
    let mut run = MlcRun::start(&config);
    let address = run.base.trim_start_matches("http://").to_owned();

    let mut in_headers = std::net::TcpStream::connect(&address).unwrap();
    in_headers
        .write_all(b"POST /webhooks/shop HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut in_body = std::net::TcpStream::connect(&address).unwrap();
    in_body
        .write_all(
            b"POST /webhooks/shop HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"ev",
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let terminated = std::time::Instant::now();
    run.terminate();
    let status = run.wait(Duration::from_secs(15));
    let took = terminated.elapsed();
    assert!(status.success(), "{}", run.stderr());
    assert!(
        took < Duration::from_secs(10),
        "mlc run took {took:?} to stop with a 2 s grace: {}",
        run.stderr()
    );
    drop((in_headers, in_body));
}

/// A metric's value in Prometheus text: the line that starts with `series` (name and labels, as
/// the exporter writes them).
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn a_running_mlc_serves_metrics_liveness_and_readiness() {
    let ledger = Ledger::start().await;
    // The first write is answered 429, then it goes through on a retry.
    ledger.fail_next(1, 429, Some(0));
    let dir = scratch("metrics");
    let config = dir.join("mlc.toml");
    std::fs::write(&config, config_text(&dir, &ledger, "")).unwrap();
    let run = MlcRun::start(&config);
    let keys: Vec<String> = (0..5).map(|n| format!("metrics-order-{n}")).collect();
    assert_eq!(send_all(&run.base, &keys).await.len(), 5);
    let refused = reqwest::Client::new()
        .post(format!("{}/webhooks/shop", run.base))
        .header("x-testkit-token", "wrong")
        .body(webhook_body(&[("metrics-refused", json!({}))]))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    wait_settled(&inbox(&dir), 5, &[Status::Done], SETTLE).await;

    let get = |path: &str| reqwest::get(format!("{}{path}", run.base));
    let live = get("/livez").await.unwrap();
    assert_eq!(live.status(), 200);
    let ready = get("/readyz").await.unwrap();
    assert_eq!(ready.status(), 200);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["ready"], true, "{ready}");

    let answer = get("/metrics").await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(
        answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = answer.text().await.unwrap();
    let expect =
        |series: &str| metric(&text, series).unwrap_or_else(|| panic!("no `{series}` in\n{text}"));
    assert_eq!(expect(r#"mlc_events_received_total{flow="orders"}"#), 5.0);
    assert_eq!(
        expect(r#"mlc_attempts_finished_total{flow="orders",outcome="done"}"#),
        5.0
    );
    assert!(expect(r#"mlc_attempts_finished_total{flow="orders",outcome="retry"}"#) >= 1.0);
    assert_eq!(
        expect(r#"mlc_remote_rate_limited_total{connection="ledger"}"#),
        1.0
    );
    assert!(expect(r#"mlc_remote_request_seconds_count{connection="ledger",status="2xx"}"#) >= 1.0);
    assert_eq!(
        expect(r#"mlc_remote_request_seconds_count{connection="ledger",status="4xx"}"#),
        1.0
    );
    assert!(
        text.lines()
            .any(|line| line.starts_with("mlc_plugin_call_seconds_count{")
                && line.contains(r#"plugin="testkit""#)
                && line.contains(r#"export="verify""#)),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|line| line.starts_with("mlc_plugin_call_seconds_count{")
                && line.contains(r#"plugin="testkit-mapping""#)
                && line.contains(r#"export="map""#)),
        "{text}"
    );
    assert_eq!(expect(r#"mlc_inbox_waiting_events{flow="orders"}"#), 0.0);
    assert_eq!(
        expect(r#"mlc_inbox_oldest_waiting_seconds{flow="orders"}"#),
        0.0
    );
    assert!(text.contains("mlc_build_info{version=\""), "{text}");
    assert!(
        text.lines().any(
            |line| line.starts_with(r#"mlc_plugin_info{plugin="testkit","#) && line.ends_with(" 1")
        ),
        "{text}"
    );
    assert!(
        !text.contains("metrics-order") && !text.contains("metrics-refused"),
        "no event key is a label: {text}"
    );
}

#[tokio::test]
async fn json_logs_are_one_object_a_line_with_the_event_flow_and_plugin_of_each() {
    let ledger = Ledger::start().await;
    let dir = scratch("json-logs");
    let config = dir.join("mlc.toml");
    std::fs::write(&config, config_text(&dir, &ledger, "")).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_mlc"));
    command.args([
        "--log-format",
        "json",
        "--log",
        "info,mlc_host::capabilities::http=debug",
        "--config",
        config.to_str().unwrap(),
        "run",
    ]);
    let mut run = MlcRun::spawn(command);
    let marker = "body-marker-never-logged";
    let (status, _) = post_webhook(
        &run.base,
        "shop",
        WEBHOOK_TOKEN,
        webhook_body(&[("json-1", json!({ "note": marker }))]),
    )
    .await;
    assert_eq!(status, 200);
    let rows = wait_settled(&inbox(&dir), 1, &[Status::Done], SETTLE).await;
    run.wait_for_line("\"message\":\"done\"", Duration::from_secs(10));
    run.terminate();
    assert!(
        run.wait(Duration::from_secs(30)).success(),
        "{}",
        run.stderr()
    );

    let stderr = run.stderr();
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}\n{stderr}"))
        })
        .collect();
    assert!(
        lines.iter().any(|line| line["message"] == "stopped"),
        "{stderr}"
    );
    let done = lines
        .iter()
        .find(|line| line["message"] == "done")
        .expect("the event's done line");
    assert_eq!(done["level"], "INFO");
    assert_eq!(done["event"], rows[0].id);
    assert_eq!(done["flow"], "orders");
    assert_eq!(done["spans"][0]["name"], "attempt", "{done}");
    assert_eq!(done["spans"][0]["event"], rows[0].id);
    // Inside a plugin call: the span names the plugin, its version, the export and the
    // connection; the mapping's own log line, and the sink's outbound request.
    let logged_in = |export: &str| {
        lines
            .iter()
            .find_map(|line| {
                let spans = line["spans"].as_array()?;
                let call = spans.iter().find(|span| span["name"] == "plugin_call")?;
                (call["export"] == export).then(|| (line.clone(), call.clone()))
            })
            .unwrap_or_else(|| panic!("no line logged inside a `{export}` call: {stderr}"))
    };
    let (mapped, map_call) = logged_in("map");
    assert_eq!(mapped["message"], "mapped");
    assert_eq!(map_call["plugin"], "testkit-mapping");
    assert!(map_call["version"].is_string());
    assert_eq!(mapped["spans"][0]["event"], rows[0].id, "{mapped}");
    let (request, apply_call) = logged_in("apply");
    assert_eq!(request["message"], "outbound request");
    assert_eq!(request["status"], "Some(200)");
    assert_eq!(apply_call["plugin"], "testkit");
    assert_eq!(apply_call["connection"], "ledger");
    assert!(
        !stderr.contains(marker),
        "a body reached the logs: {stderr}"
    );
}
