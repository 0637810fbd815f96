//! Contract versions. `legacy-mapping`, built against the previous version of the plugin worlds
//! (`wit/since_v0.1.0`), loads and runs in a flow; components made here for versions the
//! host does not support are refused, naming the versions it does; and a flow's mapping config is
//! checked by its mapping's `check-config` when the host opens.

use std::collections::BTreeMap;
use std::time::Duration;

use ml_connector_wit::{CONTRACTS, Contract, Version, WitFile};
use mlc_host::config::ConfigError;
use mlc_host::flow::{self, Service, Status};
use mlc_host::{Host, World};
use serde_json::json;
use support::flows::*;
use support::ledger::{Entry, Ledger};
use wit_component::{ComponentEncoder, StringEncoding, dummy_module, embed_component_metadata};
use wit_parser::{LiftLowerAbi, ManglingAndAbi, Resolve, SourceMap};

const SETTLE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_mapping_built_for_0_1_loads_and_is_not_asked_to_check_its_config() {
    let host = support::host().await;
    let plugins = host.plugins();
    let summary = |name: &str| plugins.iter().find(|plugin| plugin.name == name).unwrap();
    let legacy = summary("legacy-mapping");
    assert_eq!(
        (legacy.world, legacy.contract.as_str()),
        (World::Mapping, "0.1.0")
    );
    assert!(
        legacy
            .imports
            .contains(&"ml-connector:plugin/types@0.1.0".to_owned()),
        "{:?}",
        legacy.imports
    );
    assert_eq!(summary("testkit-mapping").contract, "0.3.0");
    assert_eq!(summary("testkit").contract, "0.3.0");

    let legacy = host.mapping("legacy-mapping", BTreeMap::new()).unwrap();
    let report = legacy.check_config("{not json").await;
    assert!(matches!(report.result, Ok(Ok(()))), "{:?}", report.result);
    assert_eq!(report.plugin_time, Duration::ZERO, "the plugin ran");

    let current = host.mapping("testkit-mapping", BTreeMap::new()).unwrap();
    let report = current.check_config("{not json").await;
    assert!(
        matches!(&report.result, Ok(Err(reason)) if reason.starts_with("the flow's mapping config is not JSON")),
        "{:?}",
        report.result
    );
}

#[tokio::test]
async fn a_flow_through_a_0_1_mapping_posts_its_commands() {
    let ledger = Ledger::start().await;
    let dir = scratch("legacy-mapping");
    // A config testkit-mapping would refuse: legacy-mapping reads none, and has no check.
    let text = config_text(&dir, &ledger, "")
        .replace(
            "mapping = \"testkit-mapping\"",
            "mapping = \"legacy-mapping\"",
        )
        .replace("command = \"post\"", "command = \"telex\"");
    let config = write_config(&dir, &text);
    let host = flow::open_host(&config).await.expect("the host opens");
    let service = Service::start(host, config)
        .await
        .expect("the service starts");
    let base = format!("http://{}", service.local_addr());

    let body = webhook_body(&[("order-1", json!({"total": "19.99"}))]);
    let (status, answer) = post_webhook(&base, "shop", WEBHOOK_TOKEN, body).await;
    assert_eq!(status, 200, "{answer}");
    let rows = wait_settled(service.inbox(), 1, &[Status::Done], SETTLE).await;

    assert_eq!(
        ledger.entries(),
        [Entry {
            key: "order-1/0".into(),
            id: "E-1".into(),
            body: json!({
                "id": "ref-order-1",
                "topic": "testkit.event",
                "record": {
                    "total": "19.99",
                    "key": "order-1",
                    "topic": "testkit.event",
                    "reference": "ref-order-1"
                }
            }),
        }]
    );
    assert_eq!(
        rows[0].external_ids,
        [("entry".to_owned(), "E-1".to_owned())]
    );
    let detail = service.inbox().show(rows[0].id).unwrap();
    assert_eq!(step_names(&detail), ["received", "fetch", "map", "apply"]);
    let map = &detail.steps[2];
    assert_eq!(map.plugin.as_deref(), Some("legacy-mapping"));
    let log = &map.detail["logs"][0];
    assert_eq!(
        (&log["message"], &log["fields"]),
        (
            &json!("mapped"),
            &json!({"event": "order-1", "commands": "1"})
        )
    );
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn components_built_for_other_versions_are_refused_naming_the_supported_ones() {
    let host = Host::builder().build().unwrap();

    let error = load(&host, &current_wit("mapping", "0.9.0", "0.1.0")).await;
    assert!(
        error.contains(
            "it was built for ml-connector:plugin@0.9.0 (it imports \
             ml-connector:plugin/types@0.9.0); this host supports ml-connector:plugin 0.3, 0.2 and \
             0.1 \
             (rebuild it with an ml-connector SDK for one of those)"
        ),
        "{error}"
    );
    let error = load(&host, &current_wit("connector", "0.0.1", "0.1.0")).await;
    assert!(
        error.contains("built for ml-connector:plugin@0.0.1")
            && error.contains("supports ml-connector:plugin 0.3, 0.2 and 0.1"),
        "{error}"
    );
    let error = load(&host, &current_wit("mapping", "0.3.0", "0.5.0")).await;
    assert!(
        error.contains(
            "it was built for ml-connector:host@0.5.0 (it imports ml-connector:host/log@0.5.0); \
             this host supports ml-connector:host 0.1 (rebuild"
        ),
        "{error}"
    );
    assert!(host.plugins().is_empty());
}

#[tokio::test]
async fn supported_versions_link_and_only_then_are_asked_to_describe() {
    // The components of this file trap in every export, so getting as far as `describe` shows
    // that the version check and linking passed: for the current worlds, for a 0.2 mapping, which
    // links as the current mapping world, and for 0.2 and 0.1 connectors, which lack `history`.
    let host = Host::builder().build().unwrap();
    let contract = |version| {
        CONTRACTS
            .iter()
            .find(|contract| contract.version == version)
            .unwrap()
    };
    let as_it_is = |text: &str| text.to_owned();
    for component in [
        current_wit("mapping", "0.3.0", "0.1.0"),
        current_wit("connector", "0.3.0", "0.1.0"),
        component(contract(Version::V0_2_0), "mapping", as_it_is, None),
        component(contract(Version::V0_2_0), "connector", as_it_is, None),
        component(contract(Version::V0_1_0), "connector", as_it_is, None),
    ] {
        let error = load(&host, &component).await;
        assert!(error.starts_with("its `describe` failed"), "{error}");
    }
}

#[tokio::test]
async fn open_host_refuses_a_mapping_config_its_mapping_refuses() {
    let ledger = Ledger::start().await;
    let dir = scratch("check-config");
    let good = write_config(&dir, &config_text(&dir, &ledger, ""));
    flow::open_host(&good)
        .await
        .expect("testkit-mapping takes command = \"post\"");

    let text = config_text(&dir, &ledger, "").replace("command = \"post\"", "command = \"telex\"");
    let bad = write_config(&dir, &text);
    let error = flow::open_host(&bad)
        .await
        .err()
        .expect("the host does not open");
    let error = error
        .downcast_ref::<ConfigError>()
        .unwrap_or_else(|| panic!("not a config error: {error:#}"));
    assert_eq!(
        (&error.file, error.key.as_str(), error.problem.as_str()),
        (
            &bad.path,
            "flows.orders.mapping_config",
            "mapping `testkit-mapping` refuses it: flow config `command` must be \
             \"storage-set\" or \"post\", not \"telex\""
        )
    );
}

/// The error text of loading `component`, which must fail.
async fn load(host: &Host, component: &[u8]) -> String {
    let error = host
        .load_plugin(component)
        .await
        .expect_err("the component is refused");
    format!("{error:#}")
}

/// A component of `world` of the current contract, its package rewritten to `plugin_version` and its log
/// import to `ml-connector:host/log@{log_version}`.
fn current_wit(world: &str, plugin_version: &str, log_version: &str) -> Vec<u8> {
    let current = ml_connector_wit::current();
    let edit = |text: &str| {
        replace(
            text,
            &format!("package ml-connector:plugin@{};", current.plugin),
            &format!("package ml-connector:plugin@{plugin_version};"),
        )
        .replace(
            "import ml-connector:host/log@0.1.0;",
            &format!("import ml-connector:host/log@{log_version};"),
        )
    };
    let other_log = (log_version != "0.1.0").then_some(log_version);
    component(current, world, edit, other_log)
}

/// A component of `world` of `contract` (the text of its plugin package's files through `edit`),
/// plus, with `log_version`, a `log` interface of that host package version. Its core module is a
/// dummy whose functions trap: enough for everything the host checks before a call.
fn component(
    contract: &Contract,
    world: &str,
    edit: impl Fn(&str) -> String,
    log_version: Option<&str>,
) -> Vec<u8> {
    let (own, deps) = contract.packages.split_last().unwrap();
    let mut resolve = Resolve::default();
    for files in deps {
        resolve
            .push_group(parse(*files, |text| text.to_owned()))
            .unwrap();
    }
    if let Some(version) = log_version {
        let log: Vec<&WitFile> = deps
            .iter()
            .flat_map(|files| files.iter())
            .filter(|file| file.path.ends_with("/host/log.wit"))
            .collect();
        resolve
            .push_group(parse(log, |text| {
                replace(
                    text,
                    &format!("ml-connector:host@{};", contract.host),
                    &format!("ml-connector:host@{version};"),
                )
            }))
            .unwrap();
    }
    let package = resolve.push_group(parse(*own, edit)).unwrap();
    let world = resolve.select_world(&[package], Some(world)).unwrap();
    let mut module = dummy_module(&resolve, world, ManglingAndAbi::Legacy(LiftLowerAbi::Sync));
    embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8, false).unwrap();
    ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .encode()
        .unwrap()
}

fn parse<'a>(
    files: impl IntoIterator<Item = &'a WitFile>,
    edit: impl Fn(&str) -> String,
) -> wit_parser::UnresolvedPackageGroup {
    let mut map = SourceMap::default();
    for file in files {
        map.push_str(file.path, edit(file.text));
    }
    map.parse().map_err(|(_, error)| error).unwrap()
}

/// `text` with `from` replaced, which it must hold.
fn replace(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the WIT no longer holds `{from}`");
    text.replace(from, to)
}
