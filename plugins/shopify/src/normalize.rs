//! The bodies of the `shopify.order` and `shopify.customer` entities, made from the GraphQL
//! answers: ids as numeric strings (the global id kept as `gid`), amounts as decimal strings in
//! the shop's currency (`shopMoney`), tax rates as decimal strings (`"0.0725"`), times as Shopify
//! gave them (RFC 3339, UTC). The crate doc lists every field.

use ml_connector_sdk::PluginError;
use ml_connector_sdk::money::{self, Decimal};
use serde::Serialize;

use crate::ids;
use crate::wire;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderBody {
    pub id: String,
    pub gid: String,
    pub name: String,
    pub email: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub processed_at: Option<String>,
    pub cancelled_at: Option<String>,
    pub cancel_reason: Option<String>,
    pub currency: String,
    pub presentment_currency: Option<String>,
    pub financial_status: Option<String>,
    pub test: bool,
    pub tags: Vec<String>,
    pub source_name: Option<String>,
    pub payment_gateways: Vec<String>,
    pub taxes_included: bool,
    pub subtotal: String,
    pub total_discounts: String,
    pub total_shipping: String,
    pub total_tax: String,
    pub total: String,
    pub total_refunded: String,
    pub current_total: String,
    pub customer_id: Option<String>,
    pub lines: Vec<LineBody>,
    pub shipping_lines: Vec<ShippingBody>,
    pub tax_lines: Vec<TaxBody>,
    pub refunds: Vec<RefundSummaryBody>,
    pub transactions: Vec<TransactionBody>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineBody {
    pub id: String,
    pub sku: Option<String>,
    pub name: String,
    pub title: Option<String>,
    pub variant_title: Option<String>,
    pub quantity: u64,
    pub vendor: Option<String>,
    /// The product's type; none when empty or the product is gone.
    pub product_type: Option<String>,
    pub taxable: bool,
    /// Before discounts.
    pub unit_price: String,
    /// Allocated to the whole line.
    pub total_discount: String,
    /// `unit_price × quantity − total_discount`, before tax.
    pub subtotal: String,
    pub total_tax: String,
    pub tax_lines: Vec<TaxBody>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShippingBody {
    pub id: Option<String>,
    pub title: String,
    pub code: Option<String>,
    pub price: String,
    pub discounted_price: String,
    pub total_tax: String,
    pub tax_lines: Vec<TaxBody>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaxBody {
    pub title: String,
    pub rate: Option<String>,
    pub amount: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundSummaryBody {
    pub id: String,
    pub created_at: Option<String>,
    pub note: Option<String>,
    pub total: String,
}

/// A payment event of the order: `kind` and `status` lower-cased as in Shopify's REST
/// (`"sale"`, `"success"`), the amount in the shop's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransactionBody {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub amount: String,
    pub gateway: Option<String>,
    /// When it was processed (else created).
    pub processed_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerBody {
    pub id: String,
    pub gid: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub tags: Vec<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// The order body from its header and every one of its line items.
pub fn order(order: &wire::Order, lines: &[wire::LineItem]) -> Result<OrderBody, PluginError> {
    Ok(OrderBody {
        id: order.legacy_resource_id.clone(),
        gid: order.id.clone(),
        name: order.name.clone(),
        email: order.email.clone(),
        created_at: order.created_at.clone(),
        updated_at: order.updated_at.clone(),
        processed_at: order.processed_at.clone(),
        cancelled_at: order.cancelled_at.clone(),
        cancel_reason: order.cancel_reason.clone(),
        currency: order.currency_code.clone(),
        presentment_currency: order.presentment_currency_code.clone(),
        financial_status: order.display_financial_status.clone(),
        test: order.test,
        tags: order.tags.clone(),
        source_name: order.source_name.clone(),
        payment_gateways: order.payment_gateway_names.clone(),
        taxes_included: order.taxes_included,
        subtotal: amount(&order.subtotal_price_set)?.to_string(),
        total_discounts: amount(&order.total_discounts_set)?.to_string(),
        total_shipping: amount(&order.total_shipping_price_set)?.to_string(),
        total_tax: amount(&order.total_tax_set)?.to_string(),
        total: amount(&order.total_price_set)?.to_string(),
        total_refunded: amount(&order.total_refunded_set)?.to_string(),
        current_total: amount(&order.current_total_price_set)?.to_string(),
        customer_id: order
            .customer
            .as_ref()
            .map(|customer| customer.legacy_resource_id.clone()),
        lines: lines.iter().map(line).collect::<Result<_, _>>()?,
        shipping_lines: order
            .shipping_lines
            .nodes
            .iter()
            .map(shipping_line)
            .collect::<Result<_, _>>()?,
        tax_lines: tax_lines(&order.tax_lines)?,
        refunds: order
            .refunds
            .iter()
            .map(|refund| {
                Ok(RefundSummaryBody {
                    id: refund.legacy_resource_id.clone(),
                    created_at: refund.created_at.clone(),
                    note: refund.note.clone(),
                    total: amount(&refund.total_refunded_set)?.to_string(),
                })
            })
            .collect::<Result<_, PluginError>>()?,
        transactions: order
            .transactions
            .iter()
            .map(transaction)
            .collect::<Result<_, _>>()?,
    })
}

pub fn customer(customer: &wire::Customer) -> CustomerBody {
    CustomerBody {
        id: customer.legacy_resource_id.clone(),
        gid: customer.id.clone(),
        email: customer.email.clone(),
        first_name: customer.first_name.clone(),
        last_name: customer.last_name.clone(),
        display_name: customer.display_name.clone(),
        tags: customer.tags.clone(),
        created_at: customer.created_at.clone(),
        updated_at: customer.updated_at.clone(),
    }
}

fn line(item: &wire::LineItem) -> Result<LineBody, PluginError> {
    let unit_price = amount(&item.original_unit_price_set)?;
    let discount = amount(&item.total_discount_set)?;
    let taxes = tax_lines(&item.tax_lines)?;
    Ok(LineBody {
        id: ids::required_from_gid(&item.id)?,
        sku: item.sku.clone(),
        name: item.name.clone(),
        title: item.title.clone(),
        variant_title: item.variant_title.clone(),
        quantity: item.quantity,
        vendor: item.vendor.clone(),
        product_type: item
            .product
            .as_ref()
            .and_then(|product| product.product_type.clone())
            .filter(|product_type| !product_type.trim().is_empty()),
        taxable: item.taxable,
        unit_price: unit_price.to_string(),
        total_discount: discount.to_string(),
        subtotal: money::round_cents(unit_price * Decimal::from(item.quantity) - discount)
            .to_string(),
        total_tax: sum(&taxes)?,
        tax_lines: taxes,
    })
}

fn shipping_line(line: &wire::ShippingLine) -> Result<ShippingBody, PluginError> {
    let taxes = tax_lines(&line.tax_lines)?;
    Ok(ShippingBody {
        id: line.id.as_deref().map(ids::required_from_gid).transpose()?,
        title: line.title.clone(),
        code: line.code.clone(),
        price: amount(&line.original_price_set)?.to_string(),
        discounted_price: amount(&line.discounted_price_set)?.to_string(),
        total_tax: sum(&taxes)?,
        tax_lines: taxes,
    })
}

fn transaction(transaction: &wire::Transaction) -> Result<TransactionBody, PluginError> {
    Ok(TransactionBody {
        id: ids::required_from_gid(&transaction.id)?,
        kind: transaction.kind.to_lowercase(),
        status: transaction.status.to_lowercase(),
        amount: amount(&transaction.amount_set)?.to_string(),
        gateway: transaction.gateway.clone(),
        processed_at: transaction
            .processed_at
            .clone()
            .unwrap_or_else(|| transaction.created_at.clone()),
    })
}

fn tax_lines(taxes: &[wire::TaxLine]) -> Result<Vec<TaxBody>, PluginError> {
    taxes
        .iter()
        .map(|tax| {
            Ok(TaxBody {
                title: tax.title.clone(),
                rate: tax
                    .rate
                    .as_ref()
                    .map(|rate| money::from_json(rate).map(|rate| rate.normalize().to_string()))
                    .transpose()?,
                amount: amount(&tax.price_set)?.to_string(),
            })
        })
        .collect()
}

fn sum(taxes: &[TaxBody]) -> Result<String, PluginError> {
    let mut total = Decimal::new(0, 2);
    for tax in taxes {
        total += money::parse(&tax.amount)?;
    }
    Ok(total.to_string())
}

/// The amount in the shop's currency.
pub fn amount(bag: &wire::MoneyBag) -> Result<Decimal, PluginError> {
    money::from_json(&bag.shop_money.amount)
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn bag(amount: &str) -> Value {
        json!({"shopMoney": {"amount": amount, "currencyCode": "USD"}})
    }

    /// An order as the simulator answers the header query (rates as exact JSON numbers).
    fn sample() -> wire::Order {
        serde_json::from_value(sample_json()).unwrap()
    }

    /// [`sample`] as JSON.
    pub(crate) fn sample_json() -> Value {
        let tax = |amount: &str| {
            serde_json::from_str::<Value>(&format!(
                r#"{{"title": "CA State Tax", "rate": 0.0725, "priceSet": {}}}"#,
                bag(amount)
            ))
            .unwrap()
        };
        let customer = json!({"id": "gid://shopify/Customer/5821001234567890123",
            "legacyResourceId": "5821001234567890123", "email": "ada@example.com",
            "firstName": "Ada", "lastName": "Lovelace", "displayName": "Ada Lovelace",
            "tags": ["vip"], "createdAt": "2025-11-03T15:00:00Z", "updatedAt": "2025-11-03T15:00:00Z"});
        let shipping = json!({"nodes": [{"id": "gid://shopify/ShippingLine/5821001234567890129",
            "title": "Standard", "code": "Standard", "originalPriceSet": bag("5.00"),
            "discountedPriceSet": bag("5.00"), "taxLines": []}],
            "pageInfo": {"hasNextPage": false}});
        let refunds = json!([{"id": "gid://shopify/Refund/5821001234567890140",
            "legacyResourceId": "5821001234567890140", "createdAt": "2025-11-04T10:00:00Z",
            "note": "damaged", "totalRefundedSet": bag("20.91")}]);
        let lines = json!({"nodes": [{"id": "gid://shopify/LineItem/5821001234567890128",
            "sku": "SKU-000", "name": "Widget - Blue", "title": "Widget", "variantTitle": "Blue",
            "quantity": 2, "vendor": null, "taxable": true, "product": {"productType": "Gadgets"},
            "originalUnitPriceSet": bag("19.99"), "totalDiscountSet": bag("1.00"),
            "taxLines": [tax("2.83")]}],
            "pageInfo": {"hasNextPage": false, "endCursor": "Y3Vyc29yOjA="}});
        let transactions = json!([
            {"id": "gid://shopify/OrderTransaction/5821001234567890150", "kind": "SALE",
             "status": "SUCCESS", "gateway": "shopify_payments",
             "processedAt": "2025-11-03T15:00:00Z", "createdAt": "2025-11-03T15:00:00Z",
             "amountSet": bag("46.81")},
            {"id": "gid://shopify/OrderTransaction/5821001234567890151", "kind": "REFUND",
             "status": "SUCCESS", "gateway": "shopify_payments", "processedAt": null,
             "createdAt": "2025-11-04T10:00:00Z", "amountSet": bag("20.91")}
        ]);
        let mut order = json!({
            "id": "gid://shopify/Order/5821001234567890130",
            "legacyResourceId": "5821001234567890130",
            "name": "#1001", "email": "ada@example.com",
            "createdAt": "2025-11-03T15:00:00Z", "updatedAt": "2025-11-03T15:00:01Z",
            "processedAt": "2025-11-03T15:00:00Z", "cancelledAt": null, "cancelReason": null,
            "currencyCode": "USD", "presentmentCurrencyCode": "USD",
            "displayFinancialStatus": "PAID", "test": false, "tags": ["vip"],
            "sourceName": "web", "paymentGatewayNames": ["shopify_payments"], "taxesIncluded": false,
            "subtotalPriceSet": bag("38.98"), "totalDiscountsSet": bag("1.00"),
            "totalShippingPriceSet": bag("5.00"), "totalTaxSet": bag("2.83"),
            "totalPriceSet": bag("46.81"), "totalRefundedSet": bag("0.00"),
            "currentTotalPriceSet": bag("46.81"), "taxLines": [tax("2.83")]
        });
        let fields = order.as_object_mut().unwrap();
        fields.insert("customer".into(), customer);
        fields.insert("shippingLines".into(), shipping);
        fields.insert("refunds".into(), refunds);
        fields.insert("transactions".into(), transactions);
        fields.insert("lineItems".into(), lines);
        order
    }

    #[test]
    fn an_order_becomes_the_documented_body() {
        let order = sample();
        let body = super::order(&order, &order.line_items.nodes).unwrap();
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["id"], "5821001234567890130");
        assert_eq!(json["gid"], "gid://shopify/Order/5821001234567890130");
        assert_eq!(json["customer_id"], "5821001234567890123");
        assert_eq!(json["financial_status"], "PAID");
        assert_eq!(json["subtotal"], "38.98");
        assert_eq!(json["total"], "46.81");
        assert_eq!(json["total_refunded"], "0.00");
        assert_eq!(
            json["lines"][0],
            json!({
                "id": "5821001234567890128", "sku": "SKU-000", "name": "Widget - Blue",
                "title": "Widget", "variant_title": "Blue", "quantity": 2, "vendor": null, "product_type": "Gadgets",
                "taxable": true, "unit_price": "19.99", "total_discount": "1.00",
                "subtotal": "38.98", "total_tax": "2.83",
                "tax_lines": [{"title": "CA State Tax", "rate": "0.0725", "amount": "2.83"}]
            })
        );
        assert_eq!(
            json["shipping_lines"][0],
            json!({"id": "5821001234567890129", "title": "Standard", "code": "Standard",
                   "price": "5.00", "discounted_price": "5.00", "total_tax": "0.00", "tax_lines": []})
        );
        assert_eq!(
            json["refunds"],
            json!([{"id": "5821001234567890140", "created_at": "2025-11-04T10:00:00Z",
                    "note": "damaged", "total": "20.91"}])
        );
        assert_eq!(
            json["transactions"],
            json!([
                {"id": "5821001234567890150", "kind": "sale", "status": "success",
                 "amount": "46.81", "gateway": "shopify_payments",
                 "processed_at": "2025-11-03T15:00:00Z"},
                {"id": "5821001234567890151", "kind": "refund", "status": "success",
                 "amount": "20.91", "gateway": "shopify_payments",
                 "processed_at": "2025-11-04T10:00:00Z"}
            ])
        );
    }

    #[test]
    fn a_customer_keeps_redacted_fields_null() {
        let mut order = sample();
        let ada = order.customer.take().unwrap();
        let body = customer(&wire::Customer {
            email: None,
            first_name: None,
            ..ada
        });
        assert_eq!(body.id, "5821001234567890123");
        assert_eq!(body.email, None);
        assert_eq!(body.last_name.as_deref(), Some("Lovelace"));
    }

    #[test]
    fn a_bad_amount_is_rejected() {
        let mut order = sample();
        order.total_price_set.shop_money.amount = json!("twelve");
        assert!(matches!(
            super::order(&order, &[]),
            Err(PluginError::Rejected { .. })
        ));
    }
}
