//! `mlc demo`: builds the plugins, loads them, and walks one webhook through the testkit flow
//! (connector verify → fetch → mapping map → connector apply) in the sandbox, then shows the
//! sandbox refusing an off-allowlist request and stopping an endless loop.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use mlc_host::types::{Command, InboundRequest};
use mlc_host::{CallReport, Connection, Host, Secret};

use crate::plugins;

const CONNECTOR: &str = "testkit";
const MAPPING: &str = "testkit-mapping";

pub async fn run(workspace: &Path, plugin_dir: &Path) -> anyhow::Result<()> {
    println!("== building plugins");
    plugins::build(workspace, plugin_dir)?;

    println!("\n== loading plugins from {}", plugin_dir.display());
    let host = Host::builder()
        .cache_dir(plugins::cache_dir(plugin_dir))
        .build()?;
    let loaded = host.load_plugin_dir(plugin_dir).await?;
    plugins::print_table(&loaded);
    println!(
        "(instances from the {} allocator)",
        match host.pooling() {
            true => "pooling",
            false => "on-demand",
        }
    );

    let connection = Arc::new(
        Connection::new("demo")?
            .setting("account", "demo-account")
            .secret("webhook-token", Secret::new("demo-token-123")),
    );
    let connector = host.connector(CONNECTOR, connection)?;
    let mapping = host.mapping(
        MAPPING,
        BTreeMap::from([("prefix".into(), "\"orders\"".into())]),
    )?;

    println!("\n== one webhook through {CONNECTOR} → {MAPPING} → {CONNECTOR}");
    let ping = step("ping", connector.ping().await)?;
    println!("   {ping}");
    let webhook = InboundRequest {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![("x-testkit-token".into(), "demo-token-123".into())],
        body: br#"{"events":[{"key":"evt-1001","topic":"testkit.event","reference":"order-1001","payload":{"total":"129.95","currency":"USD"}}]}"#.to_vec(),
    };
    let events = step("verify", connector.verify(&webhook).await)?;
    let Some(event) = events.into_iter().next() else {
        bail!("the webhook carried no event");
    };
    println!(
        "   event {} ({}) → {}",
        event.key, event.topic, event.reference
    );
    let records = step("fetch", connector.fetch(&event).await)?;
    println!("   {} record(s): {}", records.len(), records[0].body);
    let commands = step("map", mapping.map(&event, &records, "{}").await)?;
    for command in &commands {
        println!(
            "   command {} key {}: {}",
            command.kind, command.key, command.body
        );
    }
    let applied = step("apply", connector.apply(&commands).await)?;
    println!(
        "   {} command(s) applied",
        applied.iter().filter(|result| result.is_ok()).count()
    );
    let stored = step(
        "read back",
        connector
            .apply(&[command(
                "testkit.storage-get",
                r#"{"key":"orders/order-1001"}"#,
            )])
            .await,
    )?;
    let data = stored
        .into_iter()
        .next()
        .context("no result")?
        .map_err(|error| anyhow::anyhow!("{error:?}"))?
        .data
        .unwrap_or_default();
    println!("   storage[orders/order-1001] = {data}");

    println!("\n== the sandbox");
    let denied = connector
        .apply(&[command(
            "testkit.http",
            r#"{"method":"GET","url":"https://example.com/"}"#,
        )])
        .await;
    let denied = denied.result.map_err(|error| anyhow::anyhow!("{error}"))?;
    let data = denied[0]
        .as_ref()
        .ok()
        .and_then(|applied| applied.data.clone())
        .unwrap_or_default();
    println!("   request to https://example.com (not on the allowlist): {data}");
    let looping = connector.apply(&[command("testkit.loop", "{}")]).await;
    match looping.result {
        Err(error) => println!(
            "   endless loop: {error} ({:.0?} of CPU)",
            looping.plugin_time
        ),
        Ok(_) => bail!("the endless loop returned"),
    }
    let after = step("ping after the loop", connector.ping().await)?;
    println!("   {after}");
    Ok(())
}

fn command(kind: &str, body: &str) -> Command {
    Command {
        kind: kind.into(),
        key: format!("demo/{kind}"),
        body: body.into(),
    }
}

/// Prints one call's timing and returns its value.
fn step<T>(name: &str, report: CallReport<T>) -> anyhow::Result<T> {
    println!(
        "-- {name}: {:.1?} ({:.1?} in the plugin)",
        report.total_time, report.plugin_time
    );
    report
        .result
        .map_err(|error| anyhow::anyhow!("{name} failed: {error}"))
}
