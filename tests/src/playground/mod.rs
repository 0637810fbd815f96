//! The playground: the three simulators (a shop, a ShipStation account and an Intacct company on
//! one clock) with a control server to drive them by hand, and an `mlc.toml` for a host that
//! connects to them. [`Playground::start`] writes the config (secrets in files beside it) and the
//! control server's URL into [`URL_FILE`]. The `simulators` binary and `mlc sim` run one.
//!
//! The control server's routes (JSON; ids are strings, amounts decimal strings, times RFC 3339
//! UTC; an empty body takes every default; a refusal is 400, 404 or 409 with `{"error": "..."}`):
//! `GET /` (where everything is), `POST /shopify/orders`, `POST /shopify/orders/{id}/pay`,
//! `POST /shopify/orders/{id}/refunds`, `POST /shopify/orders/{id}/cancel`,
//! `POST /shipstation/labels`, `POST /shipstation/labels/{id}/void`, `POST /intacct/accounts`,
//! `POST /intacct/dimensions`, `GET /intacct/ledger`, `POST /webhooks` (subscribes a host).

mod control;
mod ledger_view;
mod refusal;
mod requests;

pub use requests::LABEL_ORDER;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use crate::faults::Faults;
use crate::intacct::{DEMO_COMPANY_ID, DEMO_SENDER_ID, DEMO_USER_ID, IntacctSim};
use crate::server::SimServer;
use crate::shipstation::{ShipStationConfig, ShipStationSim};
use crate::shipstation_intacct;
use crate::shopify::ShopifySim;
use crate::shopify_intacct::{Setup, ShopifyIntacct, demo_configs};
use control::Sims;

/// The file in [`PlaygroundOptions::dir`] holding the control server's URL and a newline.
pub const URL_FILE: &str = "playground.url";
/// How often the freight flow of the playground's config polls ShipStation for what its webhooks
/// do not announce (voids).
pub const SHIPSTATION_POLL: &str = "15s";

/// Where the playground writes and what its config says.
#[derive(Debug, Clone)]
pub struct PlaygroundOptions {
    /// Where `mlc.toml`, `secrets/` and [`URL_FILE`] go (created if missing; the host's data under
    /// `dir/data`).
    pub dir: PathBuf,
    /// The built components, for `[plugins] dir`.
    pub plugin_dir: PathBuf,
    /// With the two built-in flows (`orders-to-ar`: shopify → shopify-intacct → intacct;
    /// `freight-to-gl`: shipstation → shipstation-intacct → intacct, polling every
    /// [`SHIPSTATION_POLL`]), else the three connections only.
    pub flows: bool,
    /// The host's `[server] listen`, e.g. `127.0.0.1:43123`.
    pub listen: String,
    /// `[admin] token`, kept in `secrets/admin-token`; none by default.
    pub admin_token: Option<String>,
}

/// The running simulators and their control server; dropping it stops them.
pub struct Playground {
    sims: Arc<Sims>,
    control: SimServer,
    dir: PathBuf,
}

impl Playground {
    /// Starts the demo simulators and the control server on free ports of 127.0.0.1, and writes
    /// `mlc.toml`, its secrets and [`URL_FILE`] into `options.dir`.
    pub async fn start(options: PlaygroundOptions) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&options.dir)
            .with_context(|| format!("creating {}", options.dir.display()))?;
        let dir = std::path::absolute(&options.dir)?;
        let (shopify, intacct) = demo_configs();
        let clock = intacct.clock.clone();
        let shop_intacct = ShopifyIntacct::start(shopify, intacct).await?;
        let shipstation = ShipStationSim::start(ShipStationConfig::new(clock)).await?;
        let mut extra = shipstation_intacct::connection_section(&shipstation, &dir)?;
        if options.flows {
            extra.push_str(&shipstation_intacct::flow_section(SHIPSTATION_POLL));
        }
        let setup = Setup {
            listen: options.listen,
            admin_token: options.admin_token,
            flow: options.flows,
            ..Setup::new(std::path::absolute(&options.plugin_dir)?)
        };
        let config_path = shop_intacct.write_config(&dir, &setup, &extra)?;
        let sims = Arc::new(Sims::new(shop_intacct, shipstation, config_path));
        let control =
            SimServer::start_local(control::router(sims.clone()), Arc::new(Faults::new()))
                .await
                .context("starting the playground's control server")?;
        let url_file = dir.join(URL_FILE);
        std::fs::write(&url_file, format!("{}\n", control.base_url()))
            .with_context(|| format!("writing {}", url_file.display()))?;
        Ok(Self { sims, control, dir })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn control_url(&self) -> String {
        self.control.base_url()
    }

    /// `dir/mlc.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.sims.config_path.clone()
    }

    pub fn shopify(&self) -> &ShopifySim {
        &self.sims.shop_intacct.shopify
    }

    pub fn intacct(&self) -> &IntacctSim {
        &self.sims.shop_intacct.intacct
    }

    pub fn shipstation(&self) -> &ShipStationSim {
        &self.sims.shipstation
    }

    /// Lines for a terminal: where each simulator and the control server are, who signs in to
    /// Intacct, and where the config and its secrets are (the secrets themselves are not shown).
    pub fn describe(&self) -> Vec<String> {
        let (shopify, intacct, ship) = (self.shopify(), self.intacct(), self.shipstation());
        vec![
            format!(
                "Shopify       {}  shop {}",
                shopify.base_url(),
                shopify.config().shop_domain
            ),
            format!(
                "ShipStation   {} (V1), {} (V2)",
                ship.base_url(),
                ship.v2_base_url()
            ),
            format!(
                "Sage Intacct  {}  company {DEMO_COMPANY_ID}, user {DEMO_USER_ID}, sender {DEMO_SENDER_ID}",
                intacct.endpoint_url()
            ),
            format!(
                "              ledger {}",
                intacct.ledger_url(DEMO_COMPANY_ID)
            ),
            format!(
                "Secrets       {} (passwords, keys and tokens)",
                self.dir.join("secrets").display()
            ),
            format!("Control       {}", self.control_url()),
            format!("Config        {}", self.config_path().display()),
        ]
    }
}
