//! The bodies of the `shipstation.shipment` and `shipstation.fulfillment` entities, from V1 JSON:
//! ids as strings, money as decimal strings read exactly from V1's JSON numbers (never through
//! f64) with at least two decimals (`8.45`, `0.00`, `1.125`), instants converted from Pacific local
//! time to UTC RFC 3339 ([`crate::pacific`]), the ship date kept as the Pacific calendar date. The
//! crate doc lists every field.

use ml_connector_sdk::PluginError;
use ml_connector_sdk::money::{self, Decimal};
use serde::Serialize;
use serde_json::Value;

use crate::pacific;
use crate::wire;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShipmentBody {
    pub id: String,
    pub order_id: Option<String>,
    pub order_key: Option<String>,
    pub order_number: Option<String>,
    pub customer_email: Option<String>,
    pub store_id: Option<String>,
    pub warehouse_id: Option<String>,
    pub carrier_code: Option<String>,
    pub service_code: Option<String>,
    pub package_code: Option<String>,
    pub tracking_number: Option<String>,
    pub batch_number: Option<String>,
    pub is_return_label: bool,
    pub created_at: String,
    pub ship_date: String,
    pub voided: bool,
    pub void_date: Option<String>,
    pub currency: String,
    pub shipment_cost: String,
    pub insurance_cost: String,
    pub total_cost: String,
    /// `v1` (the shipment's own figures) or `v2` (its V2 label's).
    pub cost_source: String,
    /// The V2 label the costs came from.
    pub label_id: Option<String>,
    pub weight: Option<WeightBody>,
    pub ship_to: Option<AddressBody>,
    pub custom_fields: [Option<String>; 3],
    pub items: Vec<ItemBody>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemBody {
    pub order_item_id: Option<String>,
    pub line_item_key: Option<String>,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub quantity: u64,
    pub unit_price: Option<String>,
    pub weight: Option<WeightBody>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeightBody {
    pub value: String,
    pub units: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressBody {
    pub name: Option<String>,
    pub company: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FulfillmentBody {
    pub id: String,
    pub order_id: Option<String>,
    pub order_number: Option<String>,
    pub customer_email: Option<String>,
    pub tracking_number: Option<String>,
    pub carrier_code: Option<String>,
    pub fulfillment_provider_code: Option<String>,
    pub fulfillment_service_code: Option<String>,
    pub created_at: String,
    pub ship_date: String,
    pub voided: bool,
    pub void_date: Option<String>,
    pub currency: String,
    pub fulfillment_fee: String,
    pub ship_to: Option<AddressBody>,
}

/// The costs of a shipment's V2 label, which replace the V1 figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelCosts {
    pub label_id: String,
    pub currency: Option<String>,
    pub shipment_cost: Decimal,
    pub insurance_cost: Decimal,
}

impl ShipmentBody {
    /// Takes the costs (and the currency, when it names one) of the shipment's V2 label.
    pub fn with_label_costs(mut self, label: LabelCosts) -> Self {
        if let Some(currency) = label.currency {
            self.currency = currency.to_ascii_uppercase();
        }
        self.shipment_cost = text(label.shipment_cost);
        self.insurance_cost = text(label.insurance_cost);
        self.total_cost = text(label.shipment_cost + label.insurance_cost);
        self.cost_source = "v2".into();
        self.label_id = Some(label.label_id);
        self
    }
}

/// A V1 shipment as the entity body; `currency` is the account's (V1 costs name none).
pub fn shipment(raw: &Value, currency: &str) -> Result<ShipmentBody, PluginError> {
    let shipment: wire::Shipment = serde_json::from_value(raw.clone()).map_err(|error| {
        PluginError::rejected(format!("a shipment is not the expected V1 JSON: {error}"))
    })?;
    let shipment_id = id(&shipment.shipment_id)
        .ok_or_else(|| PluginError::rejected("a shipment has no shipmentId"))?;
    let created_at = pacific::parse_time(&shipment.create_date)?;
    let ship_date = match &shipment.ship_date {
        Some(date) => pacific::parse_date(date)?,
        None => pacific::local(created_at).date(),
    };
    let shipment_cost = amount(shipment.shipment_cost.as_ref())?;
    let insurance_cost = amount(shipment.insurance_cost.as_ref())?;
    let options = shipment.advanced_options.as_ref();
    Ok(ShipmentBody {
        id: shipment_id,
        order_id: shipment.order_id.as_ref().and_then(id),
        order_key: shipment.order_key,
        order_number: shipment.order_number,
        customer_email: shipment.customer_email,
        store_id: options.and_then(|options| options.store_id.as_ref().and_then(id)),
        warehouse_id: shipment.warehouse_id.as_ref().and_then(id),
        carrier_code: shipment.carrier_code,
        service_code: shipment.service_code,
        package_code: shipment.package_code,
        tracking_number: shipment.tracking_number.filter(|number| !number.is_empty()),
        batch_number: shipment.batch_number,
        is_return_label: shipment.is_return_label,
        created_at: pacific::rfc3339(created_at),
        ship_date: ship_date.to_string(),
        voided: shipment.voided,
        void_date: shipment
            .void_date
            .as_deref()
            .map(pacific::parse_time)
            .transpose()?
            .map(pacific::rfc3339),
        currency: currency.to_owned(),
        shipment_cost: text(shipment_cost),
        insurance_cost: text(insurance_cost),
        total_cost: text(shipment_cost + insurance_cost),
        cost_source: "v1".into(),
        label_id: None,
        weight: shipment.weight.as_ref().map(weight).transpose()?.flatten(),
        ship_to: shipment.ship_to.as_ref().map(address),
        custom_fields: options.map_or([None, None, None], |options| {
            [
                options.custom_field1.clone(),
                options.custom_field2.clone(),
                options.custom_field3.clone(),
            ]
        }),
        items: shipment
            .shipment_items
            .unwrap_or_default()
            .iter()
            .map(item)
            .collect::<Result<_, _>>()?,
    })
}

/// A V1 fulfillment as the entity body.
pub fn fulfillment(raw: &Value, currency: &str) -> Result<FulfillmentBody, PluginError> {
    let fulfillment: wire::Fulfillment = serde_json::from_value(raw.clone()).map_err(|error| {
        PluginError::rejected(format!(
            "a fulfillment is not the expected V1 JSON: {error}"
        ))
    })?;
    let fulfillment_id = id(&fulfillment.fulfillment_id)
        .ok_or_else(|| PluginError::rejected("a fulfillment has no fulfillmentId"))?;
    let created_at = pacific::parse_time(&fulfillment.create_date)?;
    let ship_date = match &fulfillment.ship_date {
        Some(date) => pacific::parse_date(date)?,
        None => pacific::local(created_at).date(),
    };
    Ok(FulfillmentBody {
        id: fulfillment_id,
        order_id: fulfillment.order_id.as_ref().and_then(id),
        order_number: fulfillment.order_number,
        customer_email: fulfillment.customer_email,
        tracking_number: fulfillment
            .tracking_number
            .filter(|number| !number.is_empty()),
        carrier_code: fulfillment.carrier_code,
        fulfillment_provider_code: fulfillment.fulfillment_provider_code,
        fulfillment_service_code: fulfillment.fulfillment_service_code,
        created_at: pacific::rfc3339(created_at),
        ship_date: ship_date.to_string(),
        voided: fulfillment.voided,
        void_date: fulfillment
            .void_date
            .as_deref()
            .map(pacific::parse_time)
            .transpose()?
            .map(pacific::rfc3339),
        currency: currency.to_owned(),
        fulfillment_fee: text(amount(fulfillment.fulfillment_fee.as_ref())?),
        ship_to: fulfillment.ship_to.as_ref().map(address),
    })
}

/// A JSON id, number or string, as text.
pub fn id(value: &Value) -> Option<String> {
    let text = match value {
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.trim().to_owned(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// An amount read exactly; absent or `null` is zero.
fn amount(value: Option<&Value>) -> Result<Decimal, PluginError> {
    match value {
        None | Some(Value::Null) => Ok(Decimal::ZERO),
        Some(value) => money::from_json(value),
    }
}

/// An amount with at least two decimals, never fewer than it came with.
pub fn text(amount: Decimal) -> String {
    let mut amount = amount;
    if amount.scale() < 2 {
        amount.rescale(2);
    }
    amount.to_string()
}

fn weight(weight: &wire::Weight) -> Result<Option<WeightBody>, PluginError> {
    let Some(value) = weight.value.as_ref().filter(|value| !value.is_null()) else {
        return Ok(None);
    };
    Ok(Some(WeightBody {
        value: money::from_json(value)?.to_string(),
        units: weight.units.clone(),
    }))
}

fn address(address: &wire::Address) -> AddressBody {
    AddressBody {
        name: address.name.clone(),
        company: address.company.clone(),
        city: address.city.clone(),
        state: address.state.clone(),
        postal_code: address.postal_code.clone(),
        country: address.country.clone(),
    }
}

fn item(item: &wire::Item) -> Result<ItemBody, PluginError> {
    let quantity = match &item.quantity {
        None | Some(Value::Null) => 0,
        Some(Value::Number(number)) => number.to_string().parse::<u64>().map_err(|_| {
            PluginError::rejected(format!(
                "an item's quantity `{number}` is not a whole number"
            ))
        })?,
        Some(other) => {
            return Err(PluginError::rejected(format!(
                "an item's quantity `{other}` is not a number"
            )));
        }
    };
    Ok(ItemBody {
        order_item_id: item.order_item_id.as_ref().and_then(id),
        line_item_key: item.line_item_key.clone(),
        sku: item.sku.clone().filter(|sku| !sku.is_empty()),
        name: item.name.clone(),
        quantity,
        unit_price: item
            .unit_price
            .as_ref()
            .filter(|price| !price.is_null())
            .map(money::from_json)
            .transpose()?
            .map(text),
        weight: item.weight.as_ref().map(weight).transpose()?.flatten(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A shipment as the simulator renders it (costs as JSON numbers, Pacific times).
    pub fn sample() -> Value {
        serde_json::from_str(
            r#"{
            "shipmentId": 100000005, "orderId": 100000001, "orderKey": "key-1001",
            "userId": "c1a2b3c4-0000-4000-8000-000000000001", "customerEmail": "ada@example.com",
            "orderNumber": "1001", "createDate": "2024-11-03T01:30:00.0000000",
            "shipDate": "2024-11-03", "shipmentCost": 12345678901234.57, "insuranceCost": 1.1,
            "trackingNumber": "9400111899223456789012", "isReturnLabel": false,
            "batchNumber": null, "carrierCode": "stamps_com", "serviceCode": "usps_priority_mail",
            "packageCode": "package", "confirmation": "none", "warehouseId": 401001,
            "voided": true, "voidDate": "2024-03-10T03:30:00.0000000",
            "shipTo": {"name": "Ada Lovelace", "company": null, "street1": "1 Analytical Way",
                "city": "Austin", "state": "TX", "postalCode": "78701", "country": "US",
                "residential": true},
            "weight": {"value": 16.0, "units": "ounces", "WeightUnits": 1},
            "advancedOptions": {"storeId": 301001, "customField1": "SO-1001",
                "customField2": null, "customField3": null},
            "shipmentItems": [{"orderItemId": 1, "lineItemKey": "line-1", "sku": "SKU-1",
                "name": "Widget", "weight": {"value": 8, "units": "ounces", "WeightUnits": 1},
                "quantity": 2, "unitPrice": 9.99, "taxAmount": null}]
        }"#,
        )
        .unwrap()
    }

    #[test]
    fn a_shipment_becomes_the_entity_body_exactly() {
        let body = shipment(&sample(), "USD").unwrap();
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({
                "id": "100000005", "order_id": "100000001", "order_key": "key-1001",
                "order_number": "1001", "customer_email": "ada@example.com",
                "store_id": "301001", "warehouse_id": "401001",
                "carrier_code": "stamps_com", "service_code": "usps_priority_mail",
                "package_code": "package", "tracking_number": "9400111899223456789012",
                "batch_number": null, "is_return_label": false,
                "created_at": "2024-11-03T08:30:00Z", "ship_date": "2024-11-03",
                "voided": true, "void_date": "2024-03-10T10:30:00Z",
                "currency": "USD", "shipment_cost": "12345678901234.57",
                "insurance_cost": "1.10", "total_cost": "12345678901235.67",
                "cost_source": "v1", "label_id": null,
                "weight": {"value": "16.0", "units": "ounces"},
                "ship_to": {"name": "Ada Lovelace", "company": null, "city": "Austin",
                    "state": "TX", "postal_code": "78701", "country": "US"},
                "custom_fields": ["SO-1001", null, null],
                "items": [{"order_item_id": "1", "line_item_key": "line-1", "sku": "SKU-1",
                    "name": "Widget", "quantity": 2, "unit_price": "9.99",
                    "weight": {"value": "8", "units": "ounces"}}]
            })
        );
    }

    #[test]
    fn label_costs_replace_the_v1_figures() {
        let body = shipment(&sample(), "USD")
            .unwrap()
            .with_label_costs(LabelCosts {
                label_id: "se-100000005".into(),
                currency: Some("usd".into()),
                shipment_cost: "8.45".parse().unwrap(),
                insurance_cost: "0".parse().unwrap(),
            });
        assert_eq!(
            (
                body.shipment_cost.as_str(),
                body.insurance_cost.as_str(),
                body.total_cost.as_str(),
                body.cost_source.as_str(),
                body.label_id.as_deref(),
                body.currency.as_str()
            ),
            ("8.45", "0.00", "8.45", "v2", Some("se-100000005"), "USD")
        );
    }

    #[test]
    fn sparse_shipments_and_bad_values() {
        let sparse = json!({"shipmentId": "7", "createDate": "2024-09-17T23:30:00.0000000",
            "shipmentCost": null, "shipmentItems": null});
        let body = shipment(&sparse, "CAD").unwrap();
        assert_eq!(body.id, "7");
        assert_eq!(
            body.ship_date, "2024-09-17",
            "the Pacific date of the creation"
        );
        assert_eq!(body.created_at, "2024-09-18T06:30:00Z");
        assert_eq!(
            (body.shipment_cost.as_str(), body.currency.as_str()),
            ("0.00", "CAD")
        );
        assert!(body.items.is_empty());
        let bad_cost =
            json!({"shipmentId": 7, "createDate": "2024-09-17T10:00:00", "shipmentCost": "a"});
        assert!(shipment(&bad_cost, "USD").is_err());
        let no_id = json!({"createDate": "2024-09-17T10:00:00"});
        assert!(shipment(&no_id, "USD").is_err());
        let half = json!({"shipmentId": 7, "createDate": "2024-09-17T10:00:00",
            "shipmentItems": [{"quantity": 1.5}]});
        assert!(shipment(&half, "USD").is_err());
    }

    #[test]
    fn a_fulfillment_becomes_its_entity_body() {
        let raw: Value = serde_json::from_str(
            r#"{"fulfillmentId": 100000009, "orderId": 100000001, "orderNumber": "4001",
            "userId": null, "customerEmail": null, "trackingNumber": "1Z999",
            "createDate": "2024-03-10T01:30:00.0000000", "shipDate": "2024-03-10T01:30:00.0000000",
            "voidDate": null, "deliveryDate": null, "carrierCode": "ups",
            "fulfillmentProviderCode": null, "fulfillmentServiceCode": null,
            "fulfillmentFee": 0.0, "voidRequested": false, "voided": false,
            "marketplaceNotified": true, "notifyErrorMessage": null, "shipTo": null}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(fulfillment(&raw, "USD").unwrap()).unwrap(),
            json!({"id": "100000009", "order_id": "100000001", "order_number": "4001",
                "customer_email": null, "tracking_number": "1Z999", "carrier_code": "ups",
                "fulfillment_provider_code": null, "fulfillment_service_code": null,
                "created_at": "2024-03-10T09:30:00Z", "ship_date": "2024-03-10",
                "voided": false, "void_date": null, "currency": "USD",
                "fulfillment_fee": "0.00", "ship_to": null})
        );
    }

    #[test]
    fn amounts_keep_their_digits() {
        let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap();
        assert_eq!(text(amount(Some(&parse("8.45"))).unwrap()), "8.45");
        assert_eq!(text(amount(Some(&parse("0"))).unwrap()), "0.00");
        assert_eq!(text(amount(Some(&parse("8.5"))).unwrap()), "8.50");
        assert_eq!(text(amount(Some(&parse("1.125"))).unwrap()), "1.125");
        assert_eq!(text(amount(Some(&parse("0.1"))).unwrap()), "0.10");
        assert_eq!(text(amount(None).unwrap()), "0.00");
    }
}
