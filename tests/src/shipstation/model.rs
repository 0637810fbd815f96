//! ShipStation's data as the simulator stores it (orders, label shipments, fulfillments, webhook
//! subscriptions) and the specs tests create them from. Times are UTC here; money is `Decimal`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    pub name: String,
    pub company: Option<String>,
    pub street1: String,
    pub street2: Option<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
    pub phone: Option<String>,
    pub residential: bool,
}

impl Default for Address {
    fn default() -> Self {
        Self {
            name: "Ada Lovelace".to_string(),
            company: None,
            street1: "1 Analytical Way".to_string(),
            street2: None,
            city: "Austin".to_string(),
            state: "TX".to_string(),
            postal_code: "78701".to_string(),
            country: "US".to_string(),
            phone: None,
            residential: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Weight {
    pub value: Decimal,
    /// `ounces`, `pounds` or `grams`.
    pub units: String,
}

impl Default for Weight {
    fn default() -> Self {
        Self {
            value: Decimal::from(16),
            units: "ounces".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Item {
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price: Decimal,
    pub weight: Weight,
}

/// A label shipment a test creates. `Default` is a USPS (stamps_com) label created now.
#[derive(Debug, Clone, PartialEq)]
pub struct ShipmentSpec {
    /// The ShipStation order it ships; defaults to the order with `order_number`, if any.
    pub order_id: Option<u64>,
    pub order_number: String,
    pub order_key: Option<String>,
    pub customer_email: Option<String>,
    /// Defaults to the simulator clock's now.
    pub created_at: Option<DateTime<Utc>>,
    /// Defaults to `created_at`; rendered as its Pacific date.
    pub ship_at: Option<DateTime<Utc>>,
    pub shipment_cost: Decimal,
    pub insurance_cost: Decimal,
    pub tracking_number: String,
    pub is_return_label: bool,
    pub batch_number: Option<String>,
    pub carrier_code: String,
    pub service_code: String,
    pub package_code: String,
    pub warehouse_id: u64,
    pub store_id: u64,
    pub custom_fields: [Option<String>; 3],
    pub ship_to: Address,
    pub weight: Weight,
    pub items: Vec<Item>,
}

impl Default for ShipmentSpec {
    fn default() -> Self {
        Self {
            order_id: None,
            order_number: "1001".to_string(),
            order_key: None,
            customer_email: None,
            created_at: None,
            ship_at: None,
            shipment_cost: Decimal::new(845, 2),
            insurance_cost: Decimal::ZERO,
            tracking_number: "9400111899223456789012".to_string(),
            is_return_label: false,
            batch_number: None,
            carrier_code: "stamps_com".to_string(),
            service_code: "usps_priority_mail".to_string(),
            package_code: "package".to_string(),
            warehouse_id: 401_001,
            store_id: 301_001,
            custom_fields: [None, None, None],
            ship_to: Address::default(),
            weight: Weight::default(),
            items: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Shipment {
    pub id: u64,
    pub order_id: u64,
    pub order_key: String,
    pub created_at: DateTime<Utc>,
    pub ship_at: DateTime<Utc>,
    pub voided_at: Option<DateTime<Utc>>,
    /// The webhook batch that announced it.
    pub notify_batch: Option<u64>,
    pub spec: ShipmentSpec,
}

/// An order a test creates. `Default` is an order awaiting shipment, created now.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderSpec {
    pub order_number: String,
    pub order_key: Option<String>,
    /// awaiting_payment, awaiting_shipment, pending_fulfillment, shipped, on_hold, cancelled,
    /// rejected_fulfillment.
    pub status: String,
    pub store_id: u64,
    pub customer_email: Option<String>,
    pub ship_to: Address,
    pub items: Vec<Item>,
    pub amount_paid: Decimal,
    pub tax_amount: Decimal,
    pub shipping_amount: Decimal,
    /// Defaults to the simulator clock's now.
    pub created_at: Option<DateTime<Utc>>,
}

impl Default for OrderSpec {
    fn default() -> Self {
        Self {
            order_number: "1001".to_string(),
            order_key: None,
            status: "awaiting_shipment".to_string(),
            store_id: 301_001,
            customer_email: None,
            ship_to: Address::default(),
            items: Vec::new(),
            amount_paid: Decimal::ZERO,
            tax_amount: Decimal::ZERO,
            shipping_amount: Decimal::ZERO,
            created_at: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: u64,
    pub order_key: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
    /// The import batch that announced it (ORDER_NOTIFY).
    pub import_batch: u64,
    pub spec: OrderSpec,
}

impl Order {
    pub fn total(&self) -> Decimal {
        let items: Decimal = self
            .spec
            .items
            .iter()
            .map(|item| item.unit_price * Decimal::from(item.quantity))
            .sum();
        items + self.spec.tax_amount + self.spec.shipping_amount
    }
}

/// An order marked shipped without a ShipStation label (listed under `/fulfillments`).
#[derive(Debug, Clone, PartialEq)]
pub struct Fulfillment {
    pub id: u64,
    pub order_id: u64,
    pub tracking_number: String,
    pub carrier_code: String,
    pub created_at: DateTime<Utc>,
    pub ship_at: DateTime<Utc>,
    pub notify_batch: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: u64,
    pub event: String,
    pub target_url: String,
    pub store_id: Option<u64>,
    pub friendly_name: String,
}
