//! Runs the three simulators standalone on free ports of 127.0.0.1 until interrupted, printing
//! their URLs and demo credentials: `cargo run -p ml-connector-tests --bin simulators -- --help`.

use std::time::Duration;

use clap::Parser;
use simulators::clock::SimClock;
use simulators::faults::Faults;
use simulators::intacct::{self, IntacctConfig, IntacctSim};
use simulators::shipstation::{ShipStationConfig, ShipStationSim};
use simulators::shopify::{ShopifyConfig, ShopifySim};

/// Faults applied to every simulator from the start.
#[derive(Parser)]
#[command(
    name = "simulators",
    about = "Shopify, ShipStation and Sage Intacct simulators on 127.0.0.1"
)]
struct Args {
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let intacct = IntacctSim::start(IntacctConfig::demo()).await?;
    let shopify = ShopifySim::start(ShopifyConfig::new(SimClock::real())).await?;
    let shipstation = ShipStationSim::start(ShipStationConfig::new(SimClock::real())).await?;
    args.apply(intacct.faults());
    args.apply(shopify.faults());
    args.apply(shipstation.faults());

    println!("Sage Intacct  {}", intacct.endpoint_url());
    println!(
        "              sender {} / {}, user {} / {} in company {}",
        intacct::DEMO_SENDER_ID,
        intacct::DEMO_SENDER_PASSWORD,
        intacct::DEMO_USER_ID,
        intacct::DEMO_USER_PASSWORD,
        intacct::DEMO_COMPANY_ID
    );
    println!(
        "              ledger {}",
        intacct.ledger_url(intacct::DEMO_COMPANY_ID)
    );
    let shop = shopify.config();
    println!("Shopify       {}", shopify.graphql_url());
    println!(
        "              access token {}, client {} / {}",
        shop.access_token, shop.client_id, shop.client_secret
    );
    let ship = shipstation.config();
    println!(
        "ShipStation   {} (V1), {} (V2)",
        shipstation.base_url(),
        shipstation.v2_base_url()
    );
    println!(
        "              V1 key {} / {}, V2 key {}",
        ship.api_key, ship.api_secret, ship.v2_api_key
    );
    println!("Ctrl-C stops them.");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
