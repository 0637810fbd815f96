//! The `shipstation` connector's entities as this mapping reads them. `shipstation.shipment`, one
//! label:
//!
//! ```text
//! {"id", "order_id", "order_key", "order_number",
//!  "created_at" (UTC RFC 3339), "ship_date" (YYYY-MM-DD, the Pacific date),
//!  "carrier_code", "service_code", "shipment_cost", "insurance_cost", "surcharges"?,
//!  "tracking_number", "is_return_label", "voided", "void_date"?, "warehouse_id"?, "store_id"?,
//!  "custom_fields"? [3], "items": [{"sku"?, "name", "quantity", "unit_price",
//!  "weight"? {"value", "units"}}]}
//! ```
//!
//! and `shipstation.fulfillment`, an order marked shipped without a ShipStation label (no postage;
//! a fulfillment provider's `fulfillment_fee` at most): `{"id", "order_number", "created_at",
//! "ship_date", "carrier_code", "tracking_number", "fulfillment_provider_code"?, "voided",
//! "void_date"?, "fulfillment_fee"}`. Both become a [`Shipment`].
//!
//! Read tolerantly: ids may be numbers or text; amounts decimal strings or JSON numbers (read from
//! their text, never through f64); every field but the id may be missing or `null` (a missing
//! amount is zero, a missing flag false); fields not listed are ignored (`currency`, `total_cost`:
//! the batch is in the company's base currency and adds up the costs itself). Entities of other
//! kinds are left out by [`shipments`].

use ml_connector_sdk::money::{self, Decimal};
use ml_connector_sdk::serde_json::Value;
use ml_connector_sdk::{Entity, PluginError};

pub const SHIPMENT: &str = "shipstation.shipment";
pub const FULFILLMENT: &str = "shipstation.fulfillment";

/// What a [`Shipment`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A label bought in ShipStation.
    Label,
    /// An order marked shipped elsewhere: only its `fulfillment_fee`.
    Fulfillment,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    pub kind: Kind,
    /// The shipment id (of a fulfillment: the fulfillment id).
    pub shipment_id: String,
    pub order_number: Option<String>,
    pub created_at: Option<String>,
    pub ship_date: Option<String>,
    pub carrier_code: String,
    pub service_code: Option<String>,
    pub shipment_cost: Decimal,
    pub insurance_cost: Decimal,
    pub surcharges: Decimal,
    pub tracking_number: Option<String>,
    pub is_return_label: bool,
    pub voided: bool,
    pub void_date: Option<String>,
    pub warehouse_id: Option<String>,
    pub store_id: Option<String>,
    /// `customField1` to `customField3`.
    pub custom_fields: [Option<String>; 3],
    /// A fulfillment's fee (zero for a label).
    pub fulfillment_fee: Decimal,
    /// A fulfillment's provider.
    pub fulfillment_provider: Option<String>,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub sku: Option<String>,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    /// Per unit.
    pub weight: Option<Weight>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weight {
    pub value: Decimal,
    /// `ounces`, `pounds`, `grams` (or `kilograms`), as ShipStation writes them.
    pub units: String,
}

impl Weight {
    /// In grams; `None` for units this mapping does not know.
    pub fn grams(&self) -> Option<Decimal> {
        let per_unit = match self.units.trim().to_lowercase().as_str() {
            "grams" | "gram" | "g" => Decimal::ONE,
            "kilograms" | "kilogram" | "kg" => Decimal::new(1000, 0),
            // Exact by definition: 1 oz = 28.349523125 g, 1 lb = 453.59237 g.
            "ounces" | "ounce" | "oz" => Decimal::new(28_349_523_125, 9),
            "pounds" | "pound" | "lb" | "lbs" => Decimal::new(45_359_237, 5),
            _ => return None,
        };
        Some(self.value * per_unit)
    }
}

/// The shipments (and fulfillments) among `entities`, in order.
pub fn shipments(entities: &[Entity]) -> Result<Vec<Shipment>, PluginError> {
    entities
        .iter()
        .filter_map(|entity| match entity.kind.as_str() {
            SHIPMENT => Some((entity, Kind::Label)),
            FULFILLMENT => Some((entity, Kind::Fulfillment)),
            _ => None,
        })
        .map(|(entity, kind)| {
            let body: Value = entity.body_json()?;
            Shipment::read(&body, kind).map_err(|why| {
                PluginError::rejected(format!("{} {}: {why}", entity.kind, entity.id))
            })
        })
        .collect()
}

impl Shipment {
    fn read(body: &Value, kind: Kind) -> Result<Self, String> {
        if !body.is_object() {
            return Err(format!("expected an object, found {body}"));
        }
        let shipment_id = id(body, "id")?.ok_or_else(|| "`id` is missing".to_owned())?;
        let items = match present(body, "items") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    Item::read(item).map_err(|why| format!("items[{index}]: {why}"))
                })
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(format!("`items`: expected a list, found {other}")),
        };
        let mut custom_fields: [Option<String>; 3] = Default::default();
        match present(body, "custom_fields") {
            None => {}
            Some(Value::Array(fields)) => {
                for (slot, field) in custom_fields.iter_mut().zip(fields) {
                    *slot = match field {
                        Value::String(text) if !text.trim().is_empty() => {
                            Some(text.trim().to_owned())
                        }
                        Value::Number(number) => Some(number.to_string()),
                        _ => None,
                    };
                }
            }
            Some(other) => return Err(format!("`custom_fields`: expected a list, found {other}")),
        }
        Ok(Shipment {
            kind,
            order_number: id(body, "order_number")?,
            created_at: text(body, "created_at")?,
            ship_date: text(body, "ship_date")?,
            carrier_code: text(body, "carrier_code")?.unwrap_or_default(),
            service_code: text(body, "service_code")?,
            shipment_cost: amount(body, "shipment_cost")?,
            insurance_cost: amount(body, "insurance_cost")?,
            surcharges: amount(body, "surcharges")?,
            tracking_number: text(body, "tracking_number")?,
            is_return_label: flag(body, "is_return_label")?,
            voided: flag(body, "voided")?,
            void_date: text(body, "void_date")?,
            warehouse_id: id(body, "warehouse_id")?,
            store_id: id(body, "store_id")?,
            custom_fields,
            fulfillment_fee: amount(body, "fulfillment_fee")?,
            fulfillment_provider: text(body, "fulfillment_provider_code")?,
            items,
            shipment_id,
        })
    }
}

impl Item {
    fn read(body: &Value) -> Result<Self, String> {
        let weight = match present(body, "weight") {
            None => None,
            Some(weight) => Some(Weight {
                value: amount(weight, "value")?,
                units: text(weight, "units")?.unwrap_or_default(),
            }),
        };
        Ok(Item {
            sku: text(body, "sku")?,
            quantity: match present(body, "quantity") {
                None => Decimal::ONE,
                Some(_) => amount(body, "quantity")?,
            },
            unit_price: amount(body, "unit_price")?,
            weight,
        })
    }
}

/// The field `key` unless missing or `null`.
fn present<'a>(body: &'a Value, key: &str) -> Option<&'a Value> {
    body.get(key).filter(|value| !value.is_null())
}

/// Non-blank text, trimmed.
fn text(body: &Value, key: &str) -> Result<Option<String>, String> {
    match present(body, key) {
        None => Ok(None),
        Some(Value::String(text)) => {
            Ok(Some(text.trim().to_owned()).filter(|text| !text.is_empty()))
        }
        Some(other) => Err(format!("`{key}`: expected text, found {other}")),
    }
}

/// An id: text, or a number written as its digits.
fn id(body: &Value, key: &str) -> Result<Option<String>, String> {
    match present(body, key) {
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        _ => text(body, key),
    }
}

/// An amount; zero when missing.
fn amount(body: &Value, key: &str) -> Result<Decimal, String> {
    match present(body, key) {
        None => Ok(Decimal::ZERO),
        Some(value) => money::from_json(value).map_err(|error| match error {
            PluginError::Rejected { message, .. } => format!("`{key}`: {message}"),
            other => format!("`{key}`: {other}"),
        }),
    }
}

fn flag(body: &Value, key: &str) -> Result<bool, String> {
    match present(body, key) {
        None => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(other) => Err(format!("`{key}`: expected true or false, found {other}")),
    }
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::serde_json::{self, json};

    use super::*;

    #[test]
    fn reads_numbers_or_text_and_tolerates_nulls() {
        let body: Value = serde_json::from_str(
            r##"{"id": 72513480, "order_number": "#1001", "shipment_cost": 8.45,
                "insurance_cost": null, "carrier_code": "ups", "voided": null,
                "warehouse_id": 401001, "store_id": "301001",
                "items": [{"sku": "WS-1", "name": "Mug", "quantity": 2, "unit_price": "12.50",
                           "weight": {"value": 8, "units": "ounces"}},
                          {"name": "Gift", "unit_price": 0}]}"##,
        )
        .unwrap();
        let entity = Entity::json(SHIPMENT, "72513480", &body).unwrap();
        let other = Entity::json("shipstation.order", "1", &json!({})).unwrap();
        let shipment = shipments(&[other, entity]).unwrap().remove(0);
        assert_eq!(shipment.shipment_id, "72513480");
        assert_eq!(shipment.shipment_cost, Decimal::new(845, 2));
        assert_eq!(shipment.insurance_cost, Decimal::ZERO);
        assert!(!shipment.voided && !shipment.is_return_label);
        assert_eq!(shipment.warehouse_id.as_deref(), Some("401001"));
        assert_eq!(shipment.items[0].quantity, Decimal::new(2, 0));
        assert_eq!(
            shipment.items[0].weight.as_ref().unwrap().grams(),
            Some(Decimal::new(226_796_185, 6))
        );
        assert_eq!(shipment.items[1].quantity, Decimal::ONE);
        assert!(shipment.items[1].weight.is_none());
    }

    #[test]
    fn refuses_what_it_cannot_read_naming_the_field() {
        let read =
            |body: Value| shipments(&[Entity::json(SHIPMENT, "9", &body).unwrap()]).map(|_| ());
        let message = |result: Result<(), PluginError>| match result {
            Err(PluginError::Rejected { message, .. }) => message,
            other => panic!("expected Rejected, got {other:?}"),
        };
        assert_eq!(
            message(read(json!({"order_number": "1"}))),
            "shipstation.shipment 9: `id` is missing"
        );
        assert!(
            message(read(json!({"id": 9, "shipment_cost": "8,45"})))
                .starts_with("shipstation.shipment 9: `shipment_cost`: ")
        );
        assert_eq!(
            message(read(json!({"id": 9, "items": [{"unit_price": true}]}))),
            "shipstation.shipment 9: items[0]: `unit_price`: expected an amount, found true"
        );
    }

    #[test]
    fn reads_the_connector_names_custom_fields_and_fulfillments() {
        let label = json!({"id": "100000005", "order_number": "1001",
            "created_at": "2024-11-03T08:30:00Z", "ship_date": "2024-11-03",
            "shipment_cost": "8.45", "total_cost": "9.55", "currency": "USD",
            "custom_fields": ["SO-1001", null, 7]});
        let fulfillment = json!({"id": "100000009", "order_number": "4001",
            "created_at": "2024-03-10T09:30:00Z", "ship_date": "2024-03-10",
            "carrier_code": "ups", "fulfillment_provider_code": "amazon_fba",
            "fulfillment_fee": "3.25", "voided": false});
        let read = shipments(&[
            Entity::json(SHIPMENT, "100000005", &label).unwrap(),
            Entity::json(FULFILLMENT, "100000009", &fulfillment).unwrap(),
        ])
        .unwrap();
        assert_eq!(
            (read[0].kind, read[0].shipment_id.as_str()),
            (Kind::Label, "100000005")
        );
        assert_eq!(read[0].created_at.as_deref(), Some("2024-11-03T08:30:00Z"));
        assert_eq!(
            read[0].custom_fields,
            [Some("SO-1001".to_owned()), None, Some("7".to_owned())]
        );
        assert_eq!(read[1].kind, Kind::Fulfillment);
        assert_eq!(read[1].fulfillment_fee, Decimal::new(325, 2));
        assert_eq!(read[1].fulfillment_provider.as_deref(), Some("amazon_fba"));
        assert_eq!(read[1].shipment_cost, Decimal::ZERO);
    }
}
