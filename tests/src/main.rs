//! Runs the playground standalone: the three simulators on free ports of 127.0.0.1 and the control
//! server that drives them, with an `mlc.toml` for a host that connects to them, until
//! interrupted; prints their URLs, the demo credentials, the control URL and the config's path:
//! `cargo run -p ml-connector-tests --bin simulators -- --help`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use simulators::faults::Faults;
use simulators::intacct;
use simulators::playground::{Playground, PlaygroundOptions};

/// Where the playground writes, and faults applied to every simulator from the start.
#[derive(Parser)]
#[command(
    name = "simulators",
    about = "Shopify, ShipStation and Sage Intacct simulators on 127.0.0.1, with a control server"
)]
struct Args {
    /// Where mlc.toml, its secrets and playground.url go; a fresh temporary directory by default.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The built components the config names; `<workspace>/target/plugins` by default.
    #[arg(long)]
    plugins: Option<PathBuf>,
    /// The host's `[server] listen` in mlc.toml.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Write the connections only, without the two built-in flows.
    #[arg(long)]
    no_flows: bool,
    /// Latency added to every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share of requests answered with a 5xx, per mille.
    #[arg(long, default_value_t = 0)]
    server_error_permille: u16,
    /// Share of writes committed but answered with a dropped connection, per mille.
    #[arg(long, default_value_t = 0)]
    drop_after_commit_permille: u16,
    /// Share of responses with a malformed body, per mille.
    #[arg(long, default_value_t = 0)]
    malformed_permille: u16,
}

impl Args {
    fn apply(&self, faults: &Faults) {
        faults.set_latency(Duration::from_millis(self.latency_ms));
        faults.set_server_error_share(self.server_error_permille);
        faults.set_drop_after_commit_share(self.drop_after_commit_permille);
        faults.set_malformed_share(self.malformed_permille);
    }
}

/// A new directory under the system's temporary one.
fn fresh_dir() -> anyhow::Result<PathBuf> {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    Ok(std::env::temp_dir().join(format!("mlc-playground-{}-{nanos}", std::process::id())))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is in the workspace");
    let playground = Playground::start(PlaygroundOptions {
        dir: args.dir.clone().map_or_else(fresh_dir, Ok)?,
        plugin_dir: args
            .plugins
            .clone()
            .unwrap_or_else(|| workspace.join("target/plugins")),
        flows: !args.no_flows,
        listen: args.listen.clone(),
        admin_token: None,
    })
    .await?;
    args.apply(playground.intacct().faults());
    args.apply(playground.shopify().faults());
    args.apply(playground.shipstation().faults());

    for line in playground.describe() {
        println!("{line}");
    }
    println!(
        "Credentials   Intacct sender {} / {}, user {} / {}",
        intacct::DEMO_SENDER_ID,
        intacct::DEMO_SENDER_PASSWORD,
        intacct::DEMO_USER_ID,
        intacct::DEMO_USER_PASSWORD,
    );
    let shop = playground.shopify().config();
    println!(
        "              Shopify access token {}, client {} / {}",
        shop.access_token, shop.client_id, shop.client_secret
    );
    let ship = playground.shipstation().config();
    println!(
        "              ShipStation V1 key {} / {}, V2 key {}",
        ship.api_key, ship.api_secret, ship.v2_api_key
    );
    println!("Ctrl-C stops them.");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
