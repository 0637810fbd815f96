//! The host's own errors, each through the public API with the decision the flow engine makes on
//! it: a full instance pool under a burst defers events until every one is done, once; a flow
//! taken out of the configuration holds its events for review, naming the fix; a connector that
//! answers the wrong number of results fails naming plugin and version; a plugin that is not
//! loaded, or of the other world, is a configuration mistake.

use std::sync::Arc;
use std::time::Duration;

use mlc_host::flow::{self, Arrival, Service, Status, Step};
use mlc_host::storage::SqliteStore;
use mlc_host::types::Event;
use mlc_host::{CallError, Connection, Host, HostError, HostErrorKind, Pooling, World};
use serde_json::json;
use support::flows::*;
use support::ledger::Ledger;
use support::{command, host, host_with};

const SETTLE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_full_instance_pool_under_a_burst_defers_events_until_each_is_done_once() {
    let ledger = Ledger::start().await;
    // The sink's call holds the one instance through a slow answer, so the other workers find the
    // pool full however fast or loaded the machine is.
    ledger.set_delay(Duration::from_millis(100));
    let dir = scratch("pool");
    let config = write_config(&dir, &config_text(&dir, &ledger, ""));
    std::fs::create_dir_all(&config.data_dir).unwrap();
    // One instance at a time for four workers and the sink lane: most calls find the pool full.
    let builder = Host::builder()
        .pooling(Pooling::Instances(1))
        .storage(Arc::new(
            SqliteStore::open(&config.data_dir.join("storage.db")).unwrap(),
        ));
    let host = host_with(builder).await;
    assert!(host.pooling(), "the pooling allocator is available here");
    let service = Service::start(host, config)
        .await
        .expect("the service starts");
    let base = format!("http://{}", service.local_addr());

    let keys: Vec<String> = (0..40).map(|n| format!("burst-{n}")).collect();
    let events: Vec<(&str, serde_json::Value)> = keys
        .iter()
        .map(|key| (key.as_str(), json!({ "total": "1.00" })))
        .collect();
    let (status, answer) = post_webhook(&base, "shop", WEBHOOK_TOKEN, webhook_body(&events)).await;
    assert_eq!(status, 200, "{answer}");

    let rows = wait_settled(service.inbox(), keys.len(), &[Status::Done], SETTLE).await;
    assert_eq!(rows.len(), keys.len());
    for key in &keys {
        assert_eq!(ledger.count(&format!("{key}/0")), 1, "{key} posted once");
    }
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let deferred = service
        .inbox()
        .run(move |inbox| {
            let mut deferred = 0;
            for id in ids {
                deferred += inbox
                    .show(id)?
                    .steps
                    .iter()
                    .filter(|step| {
                        !step.ok
                            && step
                                .message
                                .as_deref()
                                .is_some_and(|message| message.contains("instance pool is full"))
                    })
                    .count();
            }
            anyhow::Ok(deferred)
        })
        .await
        .unwrap();
    assert!(deferred > 0, "the burst found the pool full at least once");
    assert_eq!(ledger.writes(), keys.len(), "nothing posted twice");
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn events_of_a_flow_taken_out_of_the_configuration_are_held_for_review_naming_the_fix() {
    let ledger = Ledger::start().await;
    let dir = scratch("flow-removed");
    let config = write_config(&dir, &config_text(&dir, &ledger, ""));
    // An event a previous configuration's flow `refunds` received and did not finish.
    let inbox = flow::open_inbox(&config).unwrap();
    let now = chrono::Utc::now();
    let event = Event {
        key: "refund-1".into(),
        topic: "testkit.event".into(),
        reference: "ref-refund-1".into(),
        occurred_at: None,
        payload: Some(json!({ "total": "5.00" }).to_string()),
    };
    let received = Step::note(0, "received", now, "by webhook");
    inbox
        .receive(
            "shop".into(),
            Arrival::Webhook,
            vec![("refunds".into(), event)],
            received,
            now,
        )
        .await
        .unwrap();
    drop(inbox);

    let host = flow::open_host(&config).await.unwrap();
    let service = Service::start(host, config).await.unwrap();
    let rows = wait_settled(service.inbox(), 1, &[Status::Review], SETTLE).await;
    let reason = rows[0].review_reason.as_deref().unwrap_or_default();
    assert!(
        reason.starts_with("flow `refunds` is no longer in the configuration; put it back"),
        "{reason}"
    );
    assert_eq!(rows[0].attempts, 1, "held at once, not retried");
    assert_eq!(ledger.writes(), 0);
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_connector_answering_too_few_results_fails_naming_plugin_and_version() {
    let host = host().await;
    let connector = host
        .connector("testkit", Arc::new(Connection::new("books").unwrap()))
        .unwrap();
    let version = connector.plugin().version.clone();
    let commands = [
        command("testkit.clock", json!({})),
        command("testkit.drop-result", json!({})),
    ];
    let report = connector.apply(&commands).await;
    let Err(CallError::Host(error)) = report.result else {
        panic!("expected a host error, got {:?}", report.result);
    };
    assert_eq!(error.kind(), HostErrorKind::PluginFault);
    assert_eq!(
        error.to_string(),
        format!(
            "plugin `testkit` {version} broke the contract: `apply` answered 1 results for 2 \
             commands; upgrade or roll back the plugin"
        )
    );
}

#[tokio::test]
async fn a_plugin_not_loaded_or_of_the_other_world_is_a_configuration_mistake() {
    let host = host().await;
    let books = Arc::new(Connection::new("books").unwrap());

    let Err(CallError::Host(missing)) = host.connector("quickbooks", books.clone()) else {
        panic!("`quickbooks` is not loaded");
    };
    assert_eq!(missing.kind(), HostErrorKind::Config);
    assert!(
        matches!(&missing, HostError::PluginNotLoaded { name, loaded }
        if name == "quickbooks" && loaded.iter().any(|name| name == "testkit"))
    );
    assert!(
        missing
            .to_string()
            .contains("install it with `mlc plugin install`")
    );

    let Err(CallError::Host(wrong)) = host.connector("testkit-mapping", books) else {
        panic!("`testkit-mapping` is a mapping");
    };
    assert_eq!(
        wrong,
        HostError::WrongWorld {
            plugin: "testkit-mapping".into(),
            actual: World::Mapping,
            wanted: World::Connector,
        }
    );
    assert_eq!(wrong.kind(), HostErrorKind::Config);
}
