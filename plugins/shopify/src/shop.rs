//! `ping`: the `shop` query through the same token and throttle handling as every other query, so
//! it checks the base URL, the API version and the access token (renewing it when due).

use ml_connector_sdk::PluginError;
use serde_json::json;

use crate::graphql::Client;
use crate::queries;
use crate::settings::Settings;
use crate::wire::ShopData;

/// `shop <name> (<domain>), currency <code>, Admin API <version>`.
pub fn ping() -> Result<String, PluginError> {
    let settings = Settings::load()?;
    let version = settings.api_version.clone();
    let data: ShopData = Client::new(settings).query(queries::SHOP, json!({}))?;
    let shop = data.shop;
    Ok(format!(
        "shop {} ({}), currency {}, Admin API {version}",
        shop.name, shop.myshopify_domain, shop.currency_code
    ))
}
