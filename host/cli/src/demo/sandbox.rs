//! The demo's last section: the sandbox at work, through the `testkit` connector the running host
//! has loaded. A request to a host not on the connection's allowlist is refused before it leaves the
//! machine, and an endless loop is stopped at the CPU limit while the host carries on.

use std::sync::Arc;

use anyhow::bail;
use mlc_host::types::Command;
use mlc_host::{Connection, Host};

pub async fn show(host: &Host) -> anyhow::Result<()> {
    let connection = Arc::new(Connection::new("sandbox-demo")?.setting("account", "demo"));
    let connector = host.connector("testkit", connection)?;

    let denied = connector
        .apply(&[command(
            "testkit.http",
            r#"{"method":"GET","url":"https://example.com/"}"#,
        )])
        .await;
    let denied = denied.result.map_err(|error| anyhow::anyhow!("{error}"))?;
    let answer = match denied.first() {
        Some(Ok(applied)) => applied.data.clone().unwrap_or_default(),
        Some(Err(error)) => format!("{error:?}"),
        None => bail!("the testkit connector answered nothing"),
    };
    println!("  a plugin asks for https://example.com (not on its allowlist): {answer}");

    let looping = connector.apply(&[command("testkit.loop", "{}")]).await;
    match looping.result {
        Err(error) => println!(
            "  a plugin loops forever: {error} after {:.1?} of CPU",
            looping.plugin_time
        ),
        Ok(_) => bail!("the endless loop returned"),
    }
    let after = connector.ping().await;
    match after.result {
        Ok(_) => println!(
            "  the next call runs as usual (ping in {:.1?})",
            after.total_time
        ),
        Err(error) => bail!("the call after the loop failed: {error}"),
    }
    Ok(())
}

fn command(kind: &str, body: &str) -> Command {
    Command {
        kind: kind.into(),
        key: format!("demo/{kind}"),
        body: body.into(),
    }
}
