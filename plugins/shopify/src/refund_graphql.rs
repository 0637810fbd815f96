//! The `shopify.refund` body read over GraphQL, for a `refunds/create` event without the webhook
//! body (a history's): `refund(id:)` with its first line items, shipping lines, order adjustments
//! and transactions ([`queries::refund`]), then every further page of each by cursor. It becomes
//! the same body as the webhook's ([`crate::refund`]); where GraphQL names things otherwise:
//!
//! | body field | from GraphQL |
//! | --- | --- |
//! | `processed_at` | the `processedAt` of its first `REFUND` transaction (`Refund` has no `processedAt` before API 2026-01), else none |
//! | `adjustments[].kind`, `.reason` | `reason` `REFUND_DISCREPANCY` → `"refund_discrepancy"`, `"Refund discrepancy"`, as REST writes them |
//! | `transactions[].kind`, `.status` | lower-cased (`REFUND` → `"refund"`) |
//! | `transactions[].created_at` | `createdAt` |

use ml_connector_sdk::PluginError;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::graphql::Client;
use crate::refund::{
    AdjustmentBody, RefundBody, RefundLineBody, RefundParts, RefundShippingBody, TransactionBody,
};
use crate::wire::{self, Connection, MoneyBag, RefundData, RefundPartData};
use crate::{ids, normalize, queries};

/// Refund `refund_id` read whole; `None` when Shopify has no such refund.
pub fn load(client: &mut Client, refund_id: &str) -> Result<Option<RefundBody>, PluginError> {
    let gid = ids::gid("Refund", refund_id);
    let data: RefundData = client.query(&queries::refund(), json!({"id": gid}))?;
    let Some(mut refund) = data.refund else {
        return Ok(None);
    };
    let mut pages = Pages { client, gid };
    pages.rest(&mut refund.refund_line_items, &queries::refund_lines())?;
    pages.rest(
        &mut refund.refund_shipping_lines,
        &queries::refund_shipping_lines(),
    )?;
    pages.rest(
        &mut refund.order_adjustments,
        &queries::refund_adjustments(),
    )?;
    pages.rest(&mut refund.transactions, &queries::refund_transactions())?;
    parts(&refund)?.body().map(Some)
}

/// Reads the further pages of one refund's connections.
struct Pages<'a> {
    client: &'a mut Client,
    gid: String,
}

impl Pages<'_> {
    /// Appends the further pages of `connection` while Shopify says more follow.
    fn rest<T: DeserializeOwned>(
        &mut self,
        connection: &mut Connection<T>,
        query: &str,
    ) -> Result<(), PluginError> {
        let of = format!("refund {}", self.gid);
        connection.read_rest(&of, |cursor| {
            let data: RefundPartData<Connection<T>> = self
                .client
                .query(query, json!({"id": self.gid, "after": cursor}))?;
            let page = data.refund.ok_or_else(|| {
                PluginError::transient(format!("refund {} vanished while it was read", self.gid))
            })?;
            Ok(page.part)
        })
    }
}

/// The parts of a refund read whole.
fn parts(refund: &wire::Refund) -> Result<RefundParts, PluginError> {
    let transactions = refund
        .transactions
        .nodes
        .iter()
        .map(transaction)
        .collect::<Result<Vec<_>, _>>()?;
    let processed_at = refund
        .transactions
        .nodes
        .iter()
        .find(|transaction| transaction.kind.eq_ignore_ascii_case("refund"))
        .and_then(|transaction| transaction.processed_at.clone());
    Ok(RefundParts {
        id: refund.legacy_resource_id.clone(),
        order_id: refund.order.legacy_resource_id.clone(),
        created_at: refund.created_at.clone(),
        processed_at,
        note: refund.note.clone(),
        lines: refund
            .refund_line_items
            .nodes
            .iter()
            .map(line)
            .collect::<Result<_, _>>()?,
        shipping: refund
            .refund_shipping_lines
            .nodes
            .iter()
            .map(shipping_line)
            .collect::<Result<_, _>>()?,
        adjustments: refund
            .order_adjustments
            .nodes
            .iter()
            .map(adjustment)
            .collect::<Result<_, _>>()?,
        transactions,
    })
}

fn line(line: &wire::RefundLineItem) -> Result<RefundLineBody, PluginError> {
    let id = line
        .id
        .as_deref()
        .ok_or_else(|| PluginError::rejected("Shopify listed a refund line item without its id"))?;
    Ok(RefundLineBody {
        id: ids::required_from_gid(id)?,
        line_item_id: ids::required_from_gid(&line.line_item.id)?,
        quantity: line.quantity,
        sku: line.line_item.sku.clone(),
        name: line.line_item.name.clone(),
        subtotal: amount(&line.subtotal_set)?,
        total_tax: amount(&line.total_tax_set)?,
    })
}

fn shipping_line(line: &wire::RefundShippingLine) -> Result<RefundShippingBody, PluginError> {
    Ok(RefundShippingBody {
        id: line.id.as_deref().map(ids::required_from_gid).transpose()?,
        shipping_line_id: line
            .shipping_line
            .as_ref()
            .map(|shipping| ids::required_from_gid(&shipping.id))
            .transpose()?,
        amount: amount(&line.subtotal_amount_set)?,
        tax: amount(&line.tax_amount_set)?,
    })
}

fn adjustment(adjustment: &wire::OrderAdjustment) -> Result<AdjustmentBody, PluginError> {
    Ok(AdjustmentBody {
        id: adjustment
            .id
            .as_deref()
            .map(ids::required_from_gid)
            .transpose()?,
        kind: adjustment.reason.as_deref().map(str::to_lowercase),
        reason: adjustment.reason.as_deref().map(sentence),
        amount: amount(&adjustment.amount_set)?,
        tax: amount(&adjustment.tax_amount_set)?,
    })
}

fn transaction(transaction: &wire::Transaction) -> Result<TransactionBody, PluginError> {
    Ok(TransactionBody {
        id: Some(ids::required_from_gid(&transaction.id)?),
        kind: Some(transaction.kind.to_lowercase()),
        status: Some(transaction.status.to_lowercase()),
        amount: amount(&transaction.amount_set)?,
        currency: transaction.amount_set.shop_money.currency_code.clone(),
        gateway: transaction.gateway.clone(),
        created_at: Some(transaction.created_at.clone()),
    })
}

/// An enum value as REST's text: `REFUND_DISCREPANCY` → `Refund discrepancy`.
fn sentence(value: &str) -> String {
    let words = value.to_lowercase().replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

fn amount(bag: &MoneyBag) -> Result<String, PluginError> {
    normalize::amount(bag).map(|amount| amount.to_string())
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::Value;

    use super::*;
    use crate::fake_shop::{self, Sent};
    use crate::refund::{self, tests::WEBHOOK};
    use crate::settings::Settings;

    fn bag(amount: &str) -> Value {
        json!({"shopMoney": {"amount": amount, "currencyCode": "USD"}})
    }

    fn page(nodes: Value, end_cursor: Option<&str>) -> Value {
        json!({"nodes": nodes, "pageInfo": {"hasNextPage": end_cursor.is_some(), "endCursor": end_cursor}})
    }

    fn line(id: u64) -> Value {
        json!({"id": format!("gid://shopify/RefundLineItem/{id}"), "quantity": 1,
            "lineItem": {"id": "gid://shopify/LineItem/5821001234567890128", "sku": "SKU-000",
                         "name": "Widget"},
            "subtotalSet": bag("19.49"), "totalTaxSet": bag("1.42")})
    }

    /// The refund of [`WEBHOOK`] as the simulator answers `refund(id:)`; its line items, when
    /// `lines_cursor` is given, say more follow.
    pub(crate) fn refund_answer(lines_cursor: Option<&str>) -> Value {
        json!({"refund": {
            "legacyResourceId": "5821001234567890140", "createdAt": "2025-11-04T10:00:00Z",
            "note": "damaged", "order": {"legacyResourceId": "5821001234567890130"},
            "refundLineItems": page(json!([line(5821001234567890138)]), lines_cursor),
            "refundShippingLines": page(json!([{
                "id": "gid://shopify/RefundShippingLine/5821001234567890139",
                "shippingLine": {"id": "gid://shopify/ShippingLine/5821001234567890129"},
                "subtotalAmountSet": bag("5.00"), "taxAmountSet": bag("0.00")}]), None),
            "orderAdjustments": page(json!([{
                "id": "gid://shopify/OrderAdjustment/5821001234567890141",
                "reason": "REFUND_DISCREPANCY", "amountSet": bag("-0.50"),
                "taxAmountSet": bag("0.00")}]), None),
            "transactions": page(json!([{
                "id": "gid://shopify/OrderTransaction/5821001234567890142", "kind": "REFUND",
                "status": "SUCCESS", "gateway": "shopify_payments",
                "processedAt": "2025-11-04T10:00:00Z", "createdAt": "2025-11-04T10:00:00Z",
                "amountSet": bag("26.41")}]), None)
        }})
    }

    fn serve(answers: Vec<Value>) -> Sent {
        fake_shop::serve("2025-11-05T15:00:00Z", answers)
    }

    fn load_refund(id: &str) -> Result<Option<RefundBody>, PluginError> {
        load(&mut Client::new(Settings::load().unwrap()), id)
    }

    #[test]
    fn a_refund_read_by_id_is_the_body_its_webhook_gives() {
        serve(vec![refund_answer(None)]);
        let read = load_refund("5821001234567890140").unwrap().unwrap();
        let webhook: Value = serde_json::from_str(WEBHOOK).unwrap();
        assert_eq!(read, refund::from_webhook(&webhook).unwrap());

        serve(vec![json!({"refund": null})]);
        assert_eq!(load_refund("1").unwrap(), None);
    }

    #[test]
    fn further_line_items_are_read_by_cursor() {
        let sent = serve(vec![
            refund_answer(Some("Y3Vyc29yOjA=")),
            json!({"refund": {"part": page(json!([line(5821001234567890150)]), None)}}),
        ]);
        let read = load_refund("5821001234567890140").unwrap().unwrap();
        let ids: Vec<&str> = read.lines.iter().map(|line| line.id.as_str()).collect();
        assert_eq!(ids, ["5821001234567890138", "5821001234567890150"]);
        assert_eq!(read.subtotal, "38.98");
        assert_eq!(
            sent.borrow()[1].1,
            json!({"id": "gid://shopify/Refund/5821001234567890140", "after": "Y3Vyc29yOjA="})
        );
    }

    #[test]
    fn an_adjustment_reason_reads_as_rest_writes_it() {
        assert_eq!(sentence("REFUND_DISCREPANCY"), "Refund discrepancy");
        assert_eq!(sentence("DAMAGE"), "Damage");
        assert_eq!(sentence(""), "");
    }
}
