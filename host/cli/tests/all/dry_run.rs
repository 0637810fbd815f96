//! `mlc dry-run`, `mlc replay --deterministic` and `mlc plugin install --dry-run` as an operator
//! runs them, in another process beside a serving host: a few orders posted and recorded, then
//! the mapping that ran (nothing changes, exit 0), a candidate that moves shipping to the revenue
//! account (the report shows the move, exit 2), an event replayed on its recording as recorded
//! and with the candidate, and an install refused until the operator accepts the changes.

use std::time::Duration;

use mlc_host::config::Config;
use mlc_host::flow::{self, Service, Status};
use rust_decimal::Decimal;
use serde_json::Value;
use simulators::shopify::{CustomerSpec, LineSpec, OrderSpec, ShippingSpec};
use simulators::shopify_intacct::{FLOW, Setup, ShopifyIntacct, demo_configs};
use support::flows::{scratch, store_section, wait_settled};
use support::variant::shipping_to_revenue;

use crate::process::{mlc, text};

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

#[tokio::test]
async fn a_dry_run_reports_what_a_candidate_moves_and_an_install_waits_for_the_operator() {
    let candidate = tokio::task::spawn_blocking(shipping_to_revenue)
        .await
        .unwrap();
    let (shopify, intacct) = demo_configs();
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let dir = scratch("cli-dry-run");
    let path = sims
        .write_config(
            &dir,
            &Setup::new(support::plugin_dir()),
            &store_section(&dir),
        )
        .unwrap();
    let config = Config::load(&path).unwrap_or_else(|error| panic!("{error}"));
    let service = Service::start(flow::open_host(&config).await.unwrap(), config)
        .await
        .unwrap();
    sims.subscribe(&format!("http://{}", service.local_addr()));
    let ada = sims.shopify.create_customer(CustomerSpec {
        email: Some("ada@example.com".into()),
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        tags: Vec::new(),
    });
    for shipping in ["7.50", "4.25"] {
        sims.shopify
            .create_order(OrderSpec {
                customer_id: Some(ada.id),
                lines: vec![LineSpec::new("MUG-1", "Mug", 1, d("14.99"))],
                shipping: vec![ShippingSpec {
                    title: "Standard".into(),
                    price: d(shipping),
                    taxes: Vec::new(),
                }],
                ..OrderSpec::default()
            })
            .unwrap();
    }
    sims.shopify.wait_idle().await;
    let events = wait_settled(service.inbox(), 3, &[Status::Done], Duration::from_secs(45)).await;
    let order = events
        .iter()
        .find(|row| row.topic == "orders/create")
        .unwrap()
        .id
        .to_string();
    let same = support::plugin_dir().join("shopify-intacct.wasm");
    let same = same.to_str().unwrap();
    let candidate = candidate.to_str().unwrap();

    let unchanged = mlc(&path, &["dry-run", "--flow", FLOW, "--mapping", same]);
    let out = text(&unchanged.stdout);
    assert_eq!(
        unchanged.status.code(),
        Some(0),
        "{out}{}",
        text(&unchanged.stderr)
    );
    assert!(
        out.contains("over 3 event(s) of flow orders-to-ar"),
        "{out}"
    );
    assert!(
        out.contains("unchanged 3 · changed 0 · new failures 0"),
        "{out}"
    );
    assert!(out.contains("no amount moves"), "{out}");

    let moved = mlc(
        &path,
        &[
            "dry-run",
            "--flow",
            FLOW,
            "--mapping",
            candidate,
            "--since",
            "1h",
        ],
    );
    let out = text(&moved.stdout);
    assert_eq!(moved.status.code(), Some(2), "{out}{}", text(&moved.stderr));
    assert!(text(&moved.stderr).contains("would post differently on flow orders-to-ar"));
    assert!(out.contains("unchanged 1 · changed 2"), "{out}");
    assert!(
        out.contains(".gl_account_no: \"4100\" -> \"4000\""),
        "{out}"
    );
    let account_line = |account: &str| {
        out.lines()
            .find(|line| line.trim_start().starts_with(&format!("{account} ")))
            .map(|line| line.split_whitespace().collect::<Vec<_>>())
            .unwrap_or_else(|| panic!("no line for {account}: {out}"))
    };
    assert_eq!(account_line("4000"), ["4000", "0", "+11.75"], "{out}");
    assert_eq!(account_line("4100"), ["4100", "0", "-11.75"], "{out}");

    let json = mlc(
        &path,
        &["dry-run", "--flow", FLOW, "--mapping", candidate, "--json"],
    );
    let report: Value = serde_json::from_slice(&json.stdout).expect("the report is JSON");
    assert_eq!(report["summary"]["changed"], 2, "{report:#}");

    let wrong = mlc(&path, &["dry-run", "--flow", "nope", "--mapping", same]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        text(&wrong.stderr).contains("no flow \"nope\""),
        "{}",
        text(&wrong.stderr)
    );
    let both = mlc(
        &path,
        &[
            "dry-run",
            "--flow",
            FLOW,
            "--mapping",
            same,
            "--since",
            "1d",
            "--events",
            "1",
        ],
    );
    assert_eq!(both.status.code(), Some(2), "clap's usage error");
    assert!(
        text(&both.stderr).contains("cannot be used with"),
        "{}",
        text(&both.stderr)
    );

    let replayed = mlc(&path, &["replay", &order, "--deterministic"]);
    let out = text(&replayed.stdout);
    assert_eq!(
        replayed.status.code(),
        Some(0),
        "{out}{}",
        text(&replayed.stderr)
    );
    assert!(
        out.contains(&format!(
            "deterministic replay of event {order} (attempt 1), no network"
        )),
        "{out}"
    );
    assert!(
        out.contains("POST ") && out.contains("answered from the recording"),
        "{out}"
    );
    assert!(
        out.contains("identical: the same requests, records and commands as recorded"),
        "{out}"
    );
    let with_candidate = format!("shopify-intacct={candidate}");
    let replayed = mlc(
        &path,
        &[
            "replay",
            &order,
            "--deterministic",
            "--plugin",
            &with_candidate,
        ],
    );
    let out = text(&replayed.stdout);
    assert_eq!(
        replayed.status.code(),
        Some(2),
        "{out}{}",
        text(&replayed.stderr)
    );
    assert!(
        out.contains("shopify-intacct 0.9.0") && out.contains("in place of the recorded 0.1.0"),
        "{out}"
    );
    assert!(
        out.contains(".gl_account_no: \"4100\" -> \"4000\""),
        "{out}"
    );
    assert!(out.contains("differs from the recording"), "{out}");
    let malformed = mlc(
        &path,
        &[
            "replay",
            &order,
            "--deterministic",
            "--plugin",
            "shopify-intacct",
        ],
    );
    assert_eq!(malformed.status.code(), Some(1));
    assert!(
        text(&malformed.stderr).contains("give NAME=FILE"),
        "{}",
        text(&malformed.stderr)
    );

    let refused = mlc(&path, &["plugin", "install", candidate, "--dry-run"]);
    let (out, err) = (text(&refused.stdout), text(&refused.stderr));
    assert_eq!(refused.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("changed 2"), "{out}");
    assert!(
        err.contains("not installed") && err.contains("--accept-changes"),
        "{err}"
    );
    let listed = text(&mlc(&path, &["plugin", "list"]).stdout);
    assert!(!listed.contains("0.9.0"), "nothing was installed: {listed}");

    let accepted = mlc(
        &path,
        &[
            "plugin",
            "install",
            candidate,
            "--dry-run",
            "--accept-changes",
        ],
    );
    let out = text(&accepted.stdout);
    assert_eq!(
        accepted.status.code(),
        Some(0),
        "{out}{}",
        text(&accepted.stderr)
    );
    assert!(
        out.contains("shopify-intacct 0.9.0") && out.contains("is active"),
        "{out}"
    );
}
