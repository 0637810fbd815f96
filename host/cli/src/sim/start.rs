//! `mlc sim start`: builds the connectors and mappings (or takes them from `--plugins`), starts
//! the simulators with an `mlc.toml` for them in a new directory, says what to do next, and
//! serves until Ctrl-C or SIGTERM.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ml_connector_builder::PluginTarget;
use mlc_host::Secret;
use simulators::playground::{Playground, PlaygroundOptions};

use crate::run::stop_signal;
use crate::{plugins, workspace};

pub async fn start(dir: &Path, bare: bool, plugin_dir: Option<PathBuf>) -> anyhow::Result<()> {
    refuse_used(dir)?;
    let plugin_dir = match plugin_dir {
        Some(dir) => dir,
        None => {
            let checkout = workspace::built_from()?;
            let dir = plugins::dir(None, Some(&checkout))?;
            println!(
                "== building the connectors and mappings of {}",
                checkout.display()
            );
            plugins::build(&checkout, &dir, PluginTarget::Any).await?;
            dir
        }
    };
    let listen = free_address()?;
    let options = PlaygroundOptions {
        dir: std::path::absolute(dir)?,
        plugin_dir: std::path::absolute(&plugin_dir)?,
        flows: !bare,
        listen: listen.clone(),
        admin_token: Some(Secret::generate().expose().to_owned()),
    };
    let playground = Playground::start(options).await?;
    println!("\n== the playground");
    for line in playground.describe() {
        println!("  {line}");
    }
    let flows = match bare {
        true => "its connections (shopify, shipstation, intacct) and no flow: add yours",
        false => "its connections and the flows orders-to-ar and freight-to-gl",
    };
    println!("  mlc.toml has {flows}");
    println!("\n== next, in another terminal");
    println!("  cd {}", dir.display());
    println!("  mlc run              # serves the config's flows");
    println!("  mlc sim subscribe    # points the shop's and ShipStation's webhooks at it");
    println!("  mlc sim order        # places an order; `mlc sim --help` lists the rest");
    println!(
        "  the console, once `mlc run` serves: http://{listen}/ui, signed in with the token in {}",
        dir.join("secrets/admin-token").display()
    );
    println!("\nserving the simulators until Ctrl-C");
    stop_signal().await?;
    println!("stopped");
    Ok(())
}

/// A playground writes a new config, inbox and secrets: into a directory that is new or empty.
fn refuse_used(dir: &Path) -> anyhow::Result<()> {
    let used = match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_some(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => false,
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", dir.display())),
    };
    if used {
        bail!(
            "{} is not empty: a playground starts with a new config and inbox; remove it or pass \
             --dir with a new directory",
            dir.display()
        );
    }
    Ok(())
}

/// An address on 127.0.0.1 free now, for the config's `[server] listen`.
fn free_address() -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.to_string())
}
