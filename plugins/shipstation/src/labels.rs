//! Label costs from the V2 API, when the connection has a V2 key (secret `v2_api_key`).
//!
//! V1 and V2 share no shipment id, so a V1 shipment is matched to its V2 label by tracking number:
//! `GET {v2_base_url}/labels?tracking_number=…`, the label with that exact tracking number (of
//! several, the one created closest to the shipment). Its `shipment_cost` and `insurance_cost`
//! (`{currency, amount}`) then replace the V1 figures ([`ShipmentBody::with_label_costs`]) and the
//! entity says `cost_source: "v2"` with the `label_id`. A shipment without a tracking number, or
//! whose label V2 does not list, keeps its V1 costs (`cost_source: "v1"`), with a warning in the
//! log. V2's own errors are typed like V1's ([`crate::client`]).

use ml_connector_sdk::chrono::{DateTime, Utc};
use ml_connector_sdk::money;
use ml_connector_sdk::{PluginError, log};

use crate::client::Client;
use crate::normalize::{LabelCosts, ShipmentBody};
use crate::wire::{Label, Labels};

/// The shipment with its V2 label's costs, when a V2 key is configured and the label is found.
pub fn with_costs(client: &mut Client, body: ShipmentBody) -> Result<ShipmentBody, PluginError> {
    if client.settings.v2.is_none() {
        return Ok(body);
    }
    let Some(tracking) = body.tracking_number.clone() else {
        log::warn(
            "a shipment without a tracking number keeps its V1 costs",
            &[("shipment", &body.id)],
        );
        return Ok(body);
    };
    let answer: Labels = client.v2(&format!(
        "/labels?tracking_number={}&page_size=25",
        encode(&tracking)
    ))?;
    match closest(&answer.labels, &tracking, &body.created_at) {
        Some(label) => Ok(body.with_label_costs(costs(label)?)),
        None => {
            log::warn(
                "V2 lists no label with the shipment's tracking number; it keeps its V1 costs",
                &[("shipment", &body.id), ("tracking_number", &tracking)],
            );
            Ok(body)
        }
    }
}

/// The label with tracking number `tracking` created closest to `created_at` (RFC 3339).
fn closest<'a>(labels: &'a [Label], tracking: &str, created_at: &str) -> Option<&'a Label> {
    let created_at = instant(created_at);
    labels
        .iter()
        .filter(|label| label.tracking_number.as_deref() == Some(tracking))
        .min_by_key(
            |label| match (label.created_at.as_deref().and_then(instant), created_at) {
                (Some(label_at), Some(at)) => (label_at - at).num_milliseconds().unsigned_abs(),
                _ => u64::MAX,
            },
        )
}

fn costs(label: &Label) -> Result<LabelCosts, PluginError> {
    let shipment = label.shipment_cost.as_ref().ok_or_else(|| {
        PluginError::rejected(format!("V2 label {} has no shipment_cost", label.label_id))
    })?;
    let insurance = label
        .insurance_cost
        .as_ref()
        .map(|cost| money::from_json(&cost.amount))
        .transpose()?
        .unwrap_or_default();
    Ok(LabelCosts {
        label_id: label.label_id.clone(),
        currency: shipment.currency.clone().filter(|code| !code.is_empty()),
        shipment_cost: money::from_json(&shipment.amount)?,
        insurance_cost: insurance,
    })
}

fn instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// Percent-encodes a query value (tracking numbers are plain alphanumerics in practice).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::http::Response;
    use ml_connector_sdk::testing;
    use serde_json::json;

    use super::*;
    use crate::normalize;
    use crate::settings::Settings;

    fn label(id: &str, tracking: &str, created_at: &str, cost: &str) -> serde_json::Value {
        serde_json::from_str(&format!(
            r#"{{"label_id": "{id}", "tracking_number": "{tracking}", "created_at": "{created_at}",
            "shipment_cost": {{"currency": "usd", "amount": {cost}}},
            "insurance_cost": {{"currency": "usd", "amount": 1.10}}}}"#
        ))
        .unwrap()
    }

    fn shipment() -> ShipmentBody {
        let raw = json!({"shipmentId": 5, "createDate": "2024-11-20T10:00:00.0000000",
            "shipmentCost": 9.99, "trackingNumber": "1Z 9"});
        normalize::shipment(&raw, "USD").unwrap()
    }

    fn serve(labels: serde_json::Value, with_v2: bool) -> Client {
        testing::reset();
        let mut secrets = vec![("api_key", "k"), ("api_secret", "s")];
        if with_v2 {
            secrets.push(("v2_api_key", "v2"));
        }
        testing::set_secrets(secrets);
        testing::set_config([("v2_base_url", "http://ss/v2")]);
        testing::set_http_handler(move |request| {
            assert_eq!(
                request.url,
                "http://ss/v2/labels?tracking_number=1Z%209&page_size=25"
            );
            Ok(Response {
                status: 200,
                headers: Vec::new(),
                body: json!({ "labels": labels.clone() }).to_string().into_bytes(),
            })
        });
        Client::new(Settings::load().unwrap())
    }

    #[test]
    fn the_label_with_the_tracking_number_gives_the_costs() {
        let mut client = serve(
            json!([
                label("se-1", "1Z 9", "2024-11-19T18:00:00.000Z", "7.00"),
                label("se-2", "1Z 9", "2024-11-20T18:00:01.000Z", "8.45"),
                label("se-3", "other", "2024-11-20T18:00:00.000Z", "1.00"),
            ]),
            true,
        );
        let body = with_costs(&mut client, shipment()).unwrap();
        assert_eq!(body.label_id.as_deref(), Some("se-2"));
        assert_eq!(
            (body.shipment_cost.as_str(), body.insurance_cost.as_str()),
            ("8.45", "1.10")
        );
        assert_eq!(
            (body.total_cost.as_str(), body.cost_source.as_str()),
            ("9.55", "v2")
        );
    }

    #[test]
    fn no_label_or_no_key_keeps_the_v1_costs() {
        let mut client = serve(json!([]), true);
        let body = with_costs(&mut client, shipment()).unwrap();
        assert_eq!(
            (body.shipment_cost.as_str(), body.cost_source.as_str()),
            ("9.99", "v1")
        );
        assert!(
            testing::take_logs()
                .iter()
                .any(|record| record.message.contains("keeps its V1 costs"))
        );
        let mut client = serve(json!([]), false);
        let body = with_costs(&mut client, shipment()).unwrap();
        assert_eq!(body.cost_source, "v1");
    }
}
