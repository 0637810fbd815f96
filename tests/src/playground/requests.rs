//! The control server's request bodies and what they become: the simulators' specs, with the
//! playground's defaults filled in. Bodies are JSON objects whose unknown fields are refused;
//! amounts and rates are decimal strings ("8.00"), never JSON numbers, so nothing passes through
//! a float. An empty body means every default.

use rust_decimal::Decimal;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::error::Category;

use super::refusal::Refusal;
use crate::intacct::DimensionKind;
use crate::shipstation::ShipmentSpec;
use crate::shopify::{
    CustomerSpec, FinancialStatus, LineSpec, Order, OrderSpec, RefundSpec, ShippingSpec,
};

/// The tax every line of a playground order pays, at `tax_rate`.
const TAX_TITLE: &str = "CA State Tax";
/// The reasons Shopify takes for a cancellation.
const CANCEL_REASONS: &[&str] = &["customer", "fraud", "inventory", "declined", "other"];

/// `body` as a `T`; an empty body is `T::default()`.
pub fn optional<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, Refusal> {
    if body.trim_ascii().is_empty() {
        return Ok(T::default());
    }
    required(body)
}

/// `body` as a `T`; an empty body is refused like any other that does not fit.
pub fn required<T: DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|error| {
        Refusal::BadRequest(match error.classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                format!("The request body is not valid JSON ({error}).")
            }
            Category::Data => format!("The request body does not fit this route: {error}."),
        })
    })
}

/// A decimal written as a JSON string ("8.00", "0.0725").
#[derive(Clone, Copy, Debug)]
pub struct DecimalText(pub Decimal);

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.trim().parse().map(Self).map_err(|_| {
            D::Error::custom(format!(
                "`{text}` is not a decimal written as a string, such as \"8.00\""
            ))
        })
    }
}

/// `POST /shopify/orders`. Without `lines`, the guide's order: a T-Shirt (TS-001, Blue) 2 × 25.00
/// less 5.00 and a Mug (MUG-1) 3 × 14.99.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    lines: Option<Vec<LineRequest>>,
    /// "Standard" shipping, untaxed; 8.00 by default, none when zero.
    shipping: Option<DecimalText>,
    /// Charged on every line as "CA State Tax"; 0.0725 by default, no tax when zero.
    tax_rate: Option<DecimalText>,
    /// Paid in full at checkout (the default), else pending with nothing paid.
    paid: Option<bool>,
    /// A new customer; Ada Lovelace, ada@example.com by default.
    customer: Option<CustomerRequest>,
    #[serde(default)]
    tags: Vec<String>,
}

/// One line of an order; `price` is required, `quantity` 1 and `discount` 0 by default, `title`
/// the SKU's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LineRequest {
    sku: Option<String>,
    title: Option<String>,
    quantity: Option<u32>,
    price: DecimalText,
    discount: Option<DecimalText>,
    variant_title: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerRequest {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// An order to place: its new customer, and the order to create for that customer.
pub struct NewOrder {
    pub customer: CustomerSpec,
    /// Without its `customer_id`: the customer does not exist yet.
    pub order: OrderSpec,
}

impl OrderRequest {
    /// The customer and order this request asks for; refused before anything is created.
    pub fn into_new_order(self) -> Result<NewOrder, Refusal> {
        let tax_rate = self.tax_rate.map_or(Decimal::new(725, 4), |rate| rate.0);
        if tax_rate < Decimal::ZERO || tax_rate >= Decimal::ONE {
            return Err(bad(format!(
                "The tax rate {tax_rate} is not a rate: give a fraction such as \"0.0725\" for 7.25 %."
            )));
        }
        let lines = match self.lines {
            None => guide_lines(),
            Some(lines) if lines.is_empty() => {
                return Err(bad("An order needs at least one line.".to_owned()));
            }
            Some(lines) => lines
                .into_iter()
                .map(LineRequest::into_spec)
                .collect::<Result<_, _>>()?,
        };
        let lines = lines
            .into_iter()
            .map(|line| match tax_rate.is_zero() {
                true => line,
                false => line.tax(TAX_TITLE, tax_rate),
            })
            .collect();
        let shipping = self.shipping.map_or(Decimal::new(800, 2), |price| price.0);
        if shipping < Decimal::ZERO {
            return Err(bad(format!("The shipping {shipping} is below zero.")));
        }
        let customer = match self.customer {
            None => CustomerSpec {
                email: Some("ada@example.com".into()),
                first_name: Some("Ada".into()),
                last_name: Some("Lovelace".into()),
                tags: Vec::new(),
            },
            Some(customer) => CustomerSpec {
                email: customer.email,
                first_name: customer.first_name,
                last_name: customer.last_name,
                tags: customer.tags,
            },
        };
        let financial_status = match self.paid.unwrap_or(true) {
            true => FinancialStatus::Paid,
            false => FinancialStatus::Pending,
        };
        let order = OrderSpec {
            lines,
            shipping: (!shipping.is_zero())
                .then(|| ShippingSpec {
                    title: "Standard".into(),
                    price: shipping,
                    taxes: Vec::new(),
                })
                .into_iter()
                .collect(),
            financial_status,
            tags: self.tags,
            ..OrderSpec::default()
        };
        Ok(NewOrder { customer, order })
    }
}

/// The guide's lines, untaxed.
fn guide_lines() -> Vec<LineSpec> {
    let shirt = LineSpec {
        variant_title: Some("Blue".into()),
        ..LineSpec::new("TS-001", "T-Shirt", 2, Decimal::new(2500, 2))
    };
    vec![
        shirt.discount(Decimal::new(500, 2)),
        LineSpec::new("MUG-1", "Mug", 3, Decimal::new(1499, 2)),
    ]
}

impl LineRequest {
    fn into_spec(self) -> Result<LineSpec, Refusal> {
        let quantity = self.quantity.unwrap_or(1);
        let (price, discount) = (self.price.0, self.discount.map_or(Decimal::ZERO, |d| d.0));
        let name = self.sku.clone().or(self.title.clone()).unwrap_or_default();
        if quantity == 0 {
            return Err(bad(format!(
                "The line {name} has quantity 0: give 1 or more."
            )));
        }
        if price < Decimal::ZERO {
            return Err(bad(format!("The line {name} has a price below zero.")));
        }
        if discount < Decimal::ZERO || discount > price * Decimal::from(quantity) {
            return Err(bad(format!(
                "The line {name} has a discount of {discount}: it must be between 0 and the line's {}.",
                price * Decimal::from(quantity)
            )));
        }
        let title = self
            .title
            .or(self.sku.clone())
            .unwrap_or_else(|| "Item".to_owned());
        Ok(LineSpec {
            sku: self.sku,
            title,
            variant_title: self.variant_title,
            quantity,
            price,
            vendor: None,
            product_type: None,
            taxes: Vec::new(),
            discount,
        })
    }
}

/// `POST /shopify/orders/{id}/refunds`. Without `lines`, every line's remaining quantity; `shipping`
/// defaults to true without `lines` and to false with them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    lines: Option<Vec<RefundLineRequest>>,
    shipping: Option<bool>,
}

/// Refunds `quantity` (by default all that is left) of the order's line with `sku`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundLineRequest {
    sku: String,
    quantity: Option<u32>,
}

impl RefundRequest {
    /// The refund this request makes of `order`, as it stands.
    pub fn into_spec(self, order: &Order) -> Result<RefundSpec, Refusal> {
        let name = order.name();
        if order.total_received() <= order.total_refunded() {
            return Err(Refusal::Conflict(format!(
                "Order {name} has no payment left to refund (it is {}).",
                order.financial_status.rest()
            )));
        }
        let remaining = |line_item_id: u64, quantity: u32| {
            let refunded: u32 = order
                .refunds
                .iter()
                .flat_map(|refund| &refund.lines)
                .filter(|line| line.line_item_id == line_item_id)
                .map(|line| line.quantity)
                .sum();
            quantity - refunded
        };
        let shipping_asked = self.shipping.unwrap_or(self.lines.is_none());
        let lines = match self.lines {
            None => order
                .line_items
                .iter()
                .map(|line| (line.id, remaining(line.id, line.quantity)))
                .filter(|(_, quantity)| *quantity > 0)
                .collect(),
            Some(wanted) => {
                let mut lines = Vec::new();
                for want in wanted {
                    let line = order
                        .line_items
                        .iter()
                        .find(|line| line.sku.as_deref() == Some(want.sku.as_str()))
                        .ok_or_else(|| {
                            bad(format!("Order {name} has no line with SKU {}.", want.sku))
                        })?;
                    let left = remaining(line.id, line.quantity);
                    let quantity = want.quantity.unwrap_or(left);
                    if quantity == 0 || quantity > left {
                        return Err(Refusal::Conflict(format!(
                            "Cannot refund {quantity} of {} on order {name}: {left} left to refund.",
                            want.sku
                        )));
                    }
                    lines.push((line.id, quantity));
                }
                lines
            }
        };
        let shipping_left = order.total_shipping()
            - order
                .refunds
                .iter()
                .filter_map(|refund| refund.shipping.as_ref())
                .map(|shipping| shipping.amount)
                .sum::<Decimal>();
        let shipping = (shipping_asked && shipping_left > Decimal::ZERO).then_some(shipping_left);
        if lines.is_empty() && shipping.is_none() {
            return Err(Refusal::Conflict(format!(
                "Order {name} has nothing left to refund."
            )));
        }
        Ok(RefundSpec {
            lines,
            shipping,
            ..RefundSpec::default()
        })
    }
}

/// `POST /shopify/orders/{id}/cancel`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    reason: Option<String>,
}

impl CancelRequest {
    /// The reason, `customer` by default.
    pub fn reason(self) -> Result<String, Refusal> {
        let reason = self.reason.unwrap_or_else(|| "customer".to_owned());
        match CANCEL_REASONS.contains(&reason.as_str()) {
            true => Ok(reason),
            false => Err(bad(format!(
                "Shopify cancels for a reason among {}, not `{reason}`.",
                CANCEL_REASONS.join(", ")
            ))),
        }
    }
}

/// The order a label ships by default: a sales order the demo Intacct company has, so that the
/// freight flow finds where to post the freight (a label of an order Intacct lacks is held for
/// review).
pub const LABEL_ORDER: &str = "SO-1001";

/// `POST /shipstation/labels`; defaults from `ShipmentSpec::default()` (a USPS label of 8.45),
/// for [`LABEL_ORDER`], with a fresh tracking number.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelRequest {
    order_number: Option<String>,
    /// A ShipStation carrier code: `stamps_com`, `ups`, `fedex`, `dhl_express`, ….
    carrier: Option<String>,
    /// A service code; by default the carrier's usual one.
    service: Option<String>,
    cost: Option<DecimalText>,
    insurance: Option<DecimalText>,
    tracking_number: Option<String>,
}

impl LabelRequest {
    /// The label shipment; `tracking_number` makes the fresh number when none is given.
    pub fn into_spec(
        self,
        tracking_number: impl FnOnce() -> String,
    ) -> Result<ShipmentSpec, Refusal> {
        let default = ShipmentSpec::default();
        let cost = self.cost.map_or(default.shipment_cost, |cost| cost.0);
        let insurance = self.insurance.map_or(default.insurance_cost, |cost| cost.0);
        if cost < Decimal::ZERO || insurance < Decimal::ZERO {
            return Err(bad(format!(
                "A label costs 0 or more: the cost is {cost}, the insurance {insurance}."
            )));
        }
        let carrier = self.carrier.unwrap_or(default.carrier_code.clone());
        let service = self.service.unwrap_or_else(|| {
            match carrier.as_str() {
                "ups" => "ups_ground",
                "fedex" => "fedex_ground",
                "dhl_express" => "dhl_express_worldwide",
                _ => default.service_code.as_str(),
            }
            .to_owned()
        });
        Ok(ShipmentSpec {
            order_number: self.order_number.unwrap_or_else(|| LABEL_ORDER.to_owned()),
            shipment_cost: cost,
            insurance_cost: insurance,
            tracking_number: self.tracking_number.unwrap_or_else(tracking_number),
            carrier_code: carrier,
            service_code: service,
            ..default
        })
    }
}

/// `POST /intacct/accounts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountRequest {
    pub account_no: String,
    pub title: String,
}

impl AccountRequest {
    pub fn check(&self) -> Result<(), Refusal> {
        match self.account_no.trim().is_empty() || self.account_no.trim() != self.account_no {
            true => Err(bad(format!(
                "`{}` is not an account number: give one such as \"4050\".",
                self.account_no
            ))),
            false => Ok(()),
        }
    }
}

/// `POST /intacct/dimensions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionRequest {
    pub dimension: DimensionKind,
    pub id: String,
}

impl DimensionRequest {
    pub fn check(&self) -> Result<(), Refusal> {
        match self.id.trim().is_empty() || self.id.trim() != self.id {
            true => Err(bad(format!(
                "`{}` is not a {} id: give one such as \"MKT\".",
                self.id,
                self.dimension.name()
            ))),
            false => Ok(()),
        }
    }
}

/// `POST /webhooks`: the base URL of the host the simulators' webhooks go to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksRequest {
    url: String,
}

impl WebhooksRequest {
    /// The host's base URL, checked to be http(s).
    pub fn url(self) -> Result<String, Refusal> {
        match url::Url::parse(&self.url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(self.url),
            _ => Err(bad(format!(
                "`{}` is not the http(s) URL of a host, such as \"http://127.0.0.1:8080\".",
                self.url
            ))),
        }
    }
}

fn bad(message: String) -> Refusal {
    Refusal::BadRequest(message)
}
