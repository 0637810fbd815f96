//! A ready Shopify → Sage Intacct setup on the simulators, shared by the end-to-end tests, the
//! `mlc demo` and the benchmark: both simulators, an `mlc.toml` connecting them through the real
//! `shopify`, `shopify-intacct` and `intacct` plugins (secrets in files beside it), the mapping
//! config for the demo company's chart, and the webhook subscriptions that point the simulated shop
//! at a running host.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{Value, json};

use crate::intacct::{
    DEMO_COMPANY_ID, DEMO_SENDER_ID, DEMO_SENDER_PASSWORD, DEMO_USER_ID, DEMO_USER_PASSWORD,
    IntacctConfig, IntacctSim, Ledger,
};
use crate::shopify::{ShopifyConfig, ShopifySim};

/// The connection name of the shop; webhooks arrive at `/webhooks/shopify`.
pub const SHOPIFY_CONNECTION: &str = "shopify";
/// The connection name of the Intacct company.
pub const INTACCT_CONNECTION: &str = "intacct";
/// The flow's name.
pub const FLOW: &str = "orders-to-ar";
/// The topics the flow takes, each subscribed by [`ShopifyIntacct::subscribe`].
pub const TOPICS: &[&str] = &[
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "refunds/create",
    "customers/create",
    "customers/update",
];

/// What the config leaves to its user.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Where the compiled plugins are (`mlc plugin build` puts them in `target/plugins`).
    pub plugin_dir: PathBuf,
    /// `host:port` the host listens on; port 0 takes a free one.
    pub listen: String,
    pub workers: usize,
    /// Commands of waiting events sent to Intacct in one request, at most.
    pub batch: usize,
    /// Retries: attempts, and the first and longest backoff (`"200ms"`, `"2s"`).
    pub max_attempts: u32,
    pub backoff_base: String,
    pub backoff_max: String,
    /// `[admin] token`: the admin API and the console, with this token (kept in
    /// `secrets/admin-token`); none by default.
    pub admin_token: Option<String>,
    /// Whether the config has the flow ([`FLOW`]); without it, only the two connections.
    pub flow: bool,
}

impl Setup {
    pub fn new(plugin_dir: impl Into<PathBuf>) -> Self {
        Self {
            plugin_dir: plugin_dir.into(),
            listen: "127.0.0.1:0".to_owned(),
            workers: 4,
            batch: 20,
            max_attempts: 5,
            backoff_base: "200ms".to_owned(),
            backoff_max: "2s".to_owned(),
            admin_token: None,
            flow: true,
        }
    }
}

/// Both simulators of the flow.
pub struct ShopifyIntacct {
    pub shopify: ShopifySim,
    pub intacct: IntacctSim,
}

impl ShopifyIntacct {
    /// Starts both simulators on free ports.
    pub async fn start(shopify: ShopifyConfig, intacct: IntacctConfig) -> anyhow::Result<Self> {
        Ok(Self {
            shopify: ShopifySim::start(shopify).await?,
            intacct: IntacctSim::start(intacct).await?,
        })
    }

    /// Writes `mlc.toml` and the secret files into `dir` (data under `dir/data`); returns the
    /// config's path. The flow is there when `setup.flow` is; `extra` is appended to the config as
    /// it is.
    pub fn write_config(&self, dir: &Path, setup: &Setup, extra: &str) -> anyhow::Result<PathBuf> {
        let shop = self.shopify.config();
        let mut secrets = vec![
            ("shopify-client-secret", shop.client_secret.as_str()),
            ("shopify-access-token", shop.access_token.as_str()),
            ("shopify-refresh-token", shop.refresh_token.as_str()),
            ("intacct-sender-id", DEMO_SENDER_ID),
            ("intacct-sender-password", DEMO_SENDER_PASSWORD),
            ("intacct-user-password", DEMO_USER_PASSWORD),
        ];
        let admin = match &setup.admin_token {
            Some(token) => {
                secrets.push(("admin-token", token.as_str()));
                "\n[admin]\ntoken = { file = \"secrets/admin-token\" }\n"
            }
            None => "",
        };
        crate::secret_files::write(dir, &secrets)?;
        let text = format!(
            r#"# Shopify → Sage Intacct on the simulators (written by the simulators' fixture).
data_dir = "{data}"
workers = {workers}

[server]
listen = "{listen}"
shutdown_grace = "10s"

[plugins]
dir = "{plugins}"

[retry]
max_attempts = {max_attempts}
base = "{backoff_base}"
max = "{backoff_max}"

[connections.{SHOPIFY_CONNECTION}]
connector = "shopify"
base_url = "{shopify_url}"
settings = {{ api_version = "{api_version}", client_id = "{client_id}", shop_domain = "{shop_domain}" }}
secrets = {{ client_secret = {{ file = "secrets/shopify-client-secret" }}, access_token = {{ file = "secrets/shopify-access-token" }}, refresh_token = {{ file = "secrets/shopify-refresh-token" }} }}
{intacct}{flow}{admin}{extra}"#,
            data = dir.join("data").display(),
            workers = setup.workers,
            listen = setup.listen,
            plugins = setup.plugin_dir.display(),
            max_attempts = setup.max_attempts,
            backoff_base = setup.backoff_base,
            backoff_max = setup.backoff_max,
            shopify_url = self.shopify.base_url(),
            api_version = shop.api_version,
            client_id = shop.client_id,
            shop_domain = shop.shop_domain,
            intacct = self.intacct_connection_section(INTACCT_CONNECTION, DEMO_COMPANY_ID, setup),
            flow = if setup.flow {
                flow_section()
            } else {
                String::new()
            },
        );
        let path = dir.join("mlc.toml");
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// The config text of connection `name` to Intacct company `company_id` (a company of the
    /// simulator with the demo user), one request at a time, `setup.batch` commands a request; it
    /// signs in with the secret files [`ShopifyIntacct::write_config`] writes.
    pub fn intacct_connection_section(
        &self,
        name: &str,
        company_id: &str,
        setup: &Setup,
    ) -> String {
        format!(
            r#"
[connections.{name}]
connector = "intacct"
base_url = "{intacct_url}"
settings = {{ company_id = "{company_id}", user_id = "{DEMO_USER_ID}" }}
secrets = {{ sender_id = {{ file = "secrets/intacct-sender-id" }}, sender_password = {{ file = "secrets/intacct-sender-password" }}, user_password = {{ file = "secrets/intacct-user-password" }} }}
concurrency = 1
batch = {batch}
"#,
            intacct_url = self.intacct.base_url(),
            batch = setup.batch,
        )
    }

    /// Subscribes every topic of the flow to the host at `host_base_url` (`http://127.0.0.1:PORT`);
    /// a topic already subscribed to that host is left as it is.
    pub fn subscribe(&self, host_base_url: &str) {
        let target = format!(
            "{}/webhooks/{SHOPIFY_CONNECTION}",
            host_base_url.trim_end_matches('/')
        );
        let existing = self.shopify.subscriptions();
        for topic in TOPICS {
            let subscribed = existing
                .iter()
                .any(|sub| sub.topic == *topic && sub.url == target);
            if !subscribed {
                self.shopify.subscribe(topic, &target);
            }
        }
    }

    /// The demo company's books now.
    pub fn ledger(&self) -> Ledger {
        self.intacct.ledger(DEMO_COMPANY_ID)
    }

    /// The demo company's invoice numbers from the `from`th invoice on.
    pub fn invoice_numbers(&self, from: usize) -> Vec<Option<String>> {
        self.intacct.invoice_numbers(DEMO_COMPANY_ID, from)
    }
}

/// The TOML of the flow [`FLOW`], from the shop into the Intacct company.
fn flow_section() -> String {
    format!(
        r#"
[flows.{FLOW}]
source = "{SHOPIFY_CONNECTION}"
events = {events}
mapping = "shopify-intacct"
sink = "{INTACCT_CONNECTION}"
mapping_config = {mapping}
"#,
        events = toml_inline(&json!(TOPICS)),
        mapping = toml_inline(&mapping_config()),
    )
}

/// The mapping config for the demo company's chart (`CompanyConfig::demo`): web orders to 4000
/// sales, 4100 shipping, 2200 tax and 4900 discounts in department SALES; wholesale customers
/// (tag `wholesale`) in OPS; the customer's region (tags `region:east` / `region:west`) to the
/// warehouse locations, HQ otherwise; SKUs `POS-` and the product type `In-store` to class RETAIL,
/// `WS-` to WHOLESALE, the rest to ONLINE; card payments to undeposited funds 1499, PayPal to the
/// operating bank account.
pub fn mapping_config() -> Value {
    json!({
        "customer": {
            "id_scheme": "shopify_id_base36",
            "id_prefix": "SH",
            "guest_customer_id": "SH-GUEST",
            "guest_customer_name": "Shopify guest checkout"
        },
        "invoice": { "number_prefix": "SH", "due_days": 30 },
        "default_order_type": {
            "name": "web",
            "accounts": {
                "revenue": "4000", "shipping": "4100", "tax": "2200", "discounts": "4900"
            },
            "dimensions": { "department_id": "SALES" }
        },
        "order_types": [
            { "name": "wholesale", "when": { "customer_tags": ["wholesale"] },
              "dimensions": { "department_id": "OPS" } }
        ],
        "regions": [
            { "name": "east", "when": { "customer_tags": ["region:east"] },
              "dimensions": { "location_id": "WH-EAST" } },
            { "name": "west", "when": { "customer_tags": ["region:west"] },
              "dimensions": { "location_id": "WH-WEST" } }
        ],
        "default_region": { "dimensions": { "location_id": "HQ" } },
        "product_lines": [
            { "name": "retail", "when": { "sku_prefixes": ["POS-"] },
              "dimensions": { "class_id": "RETAIL" } },
            { "name": "wholesale", "when": { "sku_prefixes": ["WS-"] },
              "dimensions": { "class_id": "WHOLESALE" } },
            { "name": "in-store", "when": { "product_types": ["In-store"] },
              "dimensions": { "class_id": "RETAIL" } }
        ],
        "default_product_line": { "dimensions": { "class_id": "ONLINE" } },
        "gateways": {
            "shopify_payments": { "payment_method": "Credit Card", "undeposited_funds_account": "1499" },
            "paypal": { "payment_method": "EFT", "bank_account_id": "BOA-CHK" },
            "*": { "payment_method": "Cash", "undeposited_funds_account": "1499" }
        }
    })
}

/// `value` as a TOML inline value (on one line, as TOML inline tables must be). JSON strings are
/// valid TOML basic strings; `null` has no TOML form and is left out of tables.
pub(crate) fn toml_inline(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(key, value)| {
                    format!("{} = {}", Value::from(key.as_str()), toml_inline(value))
                })
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(toml_inline).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// The demo configs of both simulators on one clock: the real one.
pub fn demo_configs() -> (ShopifyConfig, IntacctConfig) {
    let intacct = IntacctConfig::demo();
    (ShopifyConfig::new(intacct.clock.clone()), intacct)
}
