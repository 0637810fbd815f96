//! The GraphQL queries, sized for the cost bucket. Shopify charges what a query asks for before it
//! runs (an object 1, a connection `2 + first × its node`, a list `first × its item`, a scalar 0)
//! and gives back what it did not use; a shop on the standard limit holds 1000 points and gets 50
//! back a second. So the order is read small first and more only when it has more:
//!
//! | query | reads | asks for |
//! | --- | --- | --- |
//! | [`order`] | the header, customer, taxes and the first [`FIRST_LINES`] line items, [`FIRST_SHIPPING_LINES`] shipping lines, [`FIRST_REFUNDS`] refunds and [`FIRST_TRANSACTIONS`] transactions | 147 points (19 + 65 + 18 + 15 + 30) |
//! | [`order_lines`] | [`MORE_LINES`] more line items, by cursor | 453 |
//! | [`order_shipping_lines`] | [`MORE_SHIPPING_LINES`] more shipping lines, by cursor | 203 |
//! | [`order_refunds`] | every refund, up to [`LIST_LIMIT`] | 751 |
//! | [`order_transactions`] | every transaction, up to [`LIST_LIMIT`] | 751 |
//! | [`customer`], [`SHOP`] | one object | 1 |
//! | [`updated_orders`] | [`POLL_PAGE`] order ids | 102 |
//! | [`RUN_BULK_QUERY`] | starts the bulk query of [`bulk_orders`] (the bulk query itself costs nothing) | 10 |
//! | [`BULK_OPERATION`] | a bulk operation's status | 1 |
//! | [`ACCESS_SCOPES`] | the app's scopes | 2 |
//! | [`refund`] | a refund with its first [`FIRST_REFUND_LINES`] line items and [`REFUND_PARTS`] shipping lines, adjustments and transactions | 300 |
//! | [`refund_lines`] | [`MORE_REFUND_LINES`] more line items, by cursor | 603 |
//! | [`refund_shipping_lines`], [`refund_adjustments`], [`refund_transactions`] | [`REFUND_PARTS`] more, by cursor | 63, 53, 33 |
//!
//! `Order.refunds` and `Order.transactions` are lists, not connections: they have no cursor, so a
//! list read as full as asked for may have more, and is read again alone, [`LIST_LIMIT`] at most.
//! The follow-up queries name their part `part` and read `updatedAt`, so that
//! [`crate::order`] can tell a change between the queries. The tests price every query with the
//! simulator's own cost rule.

/// Line items read with the order header.
pub const FIRST_LINES: u32 = 7;
/// Line items per further page.
pub const MORE_LINES: u32 = 50;
/// Shipping lines read with the order header.
pub const FIRST_SHIPPING_LINES: u32 = 2;
/// Shipping lines per further page.
pub const MORE_SHIPPING_LINES: u32 = 25;
/// Refunds read with the order header.
pub const FIRST_REFUNDS: u32 = 5;
/// Transactions read with the order header.
pub const FIRST_TRANSACTIONS: u32 = 10;
/// The most refunds or transactions read: Shopify's page limit.
pub const LIST_LIMIT: u32 = 250;
/// Orders per poll page.
pub const POLL_PAGE: u32 = 100;
/// Line items read with a refund.
pub const FIRST_REFUND_LINES: u32 = 25;
/// A refund's line items per further page.
pub const MORE_REFUND_LINES: u32 = 100;
/// A refund's shipping lines, order adjustments or transactions per page.
pub const REFUND_PARTS: u32 = 10;

/// The scopes granted to the app (`read_all_orders` lets it read orders of over 60 days).
pub const ACCESS_SCOPES: &str =
    "query AccessScopes { currentAppInstallation { accessScopes { handle } } }";

pub const SHOP: &str = "query Shop { shop { name myshopifyDomain currencyCode } }";

const CUSTOMER_FIELDS: &str =
    "id legacyResourceId email firstName lastName displayName tags createdAt updatedAt";

/// A tax line (3 points).
const TAX_LINE_FIELDS: &str = "title rate priceSet { shopMoney { amount } }";

/// A money bag of the shop's currency (2 points).
fn money(field: &str) -> String {
    format!("{field} {{ shopMoney {{ amount }} }}")
}

/// The arguments of a further page: `first` after the cursor `$after`.
fn after(first: u32) -> String {
    format!("first: {first}, after: $after")
}

/// A connection of `nodes` with the page info that says whether more follow.
fn connection(name: &str, args: &str, nodes: &str) -> String {
    format!("{name}({args}) {{ nodes {{ {nodes} }} pageInfo {{ hasNextPage endCursor }} }}")
}

/// A line item's fields (9 points).
fn line_item_fields() -> String {
    format!(
        "id sku name title variantTitle quantity vendor taxable product {{ productType }} {} {} \
         taxLines {{ {TAX_LINE_FIELDS} }}",
        money("originalUnitPriceSet"),
        money("totalDiscountSet")
    )
}

fn line_items(args: &str) -> String {
    connection("lineItems", args, &line_item_fields())
}

/// A shipping line's fields (8 points).
fn shipping_line_fields() -> String {
    format!(
        "id title code {} {} taxLines {{ {TAX_LINE_FIELDS} }}",
        money("originalPriceSet"),
        money("discountedPriceSet")
    )
}

fn shipping_lines(args: &str) -> String {
    connection("shippingLines", args, &shipping_line_fields())
}

/// The order's refunds, `first` of them or (none, in a bulk query) all: 3 points a refund.
fn refunds(first: Option<u32>) -> String {
    format!(
        "refunds{} {{ id legacyResourceId createdAt note {} }}",
        list_args(first),
        money("totalRefundedSet")
    )
}

/// The order's transactions, `first` of them or (none) all: 3 points a transaction.
fn transactions(first: Option<u32>) -> String {
    format!(
        "transactions{} {{ id kind status gateway processedAt createdAt {} }}",
        list_args(first),
        money("amountSet")
    )
}

fn list_args(first: Option<u32>) -> String {
    first
        .map(|first| format!("(first: {first})"))
        .unwrap_or_default()
}

/// The order's own fields: the header, totals, customer and taxes (19 points).
fn order_header_fields() -> String {
    let totals = [
        "subtotalPriceSet",
        "totalDiscountsSet",
        "totalShippingPriceSet",
        "totalTaxSet",
        "totalPriceSet",
        "totalRefundedSet",
        "currentTotalPriceSet",
    ]
    .map(money)
    .join(" ");
    format!(
        "id legacyResourceId name email createdAt updatedAt processedAt cancelledAt cancelReason \
         currencyCode presentmentCurrencyCode displayFinancialStatus test tags sourceName \
         paymentGatewayNames taxesIncluded {totals} \
         customer {{ {CUSTOMER_FIELDS} }} taxLines {{ {TAX_LINE_FIELDS} }}"
    )
}

/// `$id`: the order's global id.
pub fn order() -> String {
    format!(
        "query Order($id: ID!) {{ order(id: $id) {{ {} {} {} {} {} }} }}",
        order_header_fields(),
        line_items(&format!("first: {FIRST_LINES}")),
        shipping_lines(&format!("first: {FIRST_SHIPPING_LINES}")),
        refunds(Some(FIRST_REFUNDS)),
        transactions(Some(FIRST_TRANSACTIONS))
    )
}

/// A query named `name` of one `part` of the order `$id`, with its `updatedAt`.
fn order_part(name: &str, variables: &str, part: &str) -> String {
    format!("query {name}({variables}) {{ order(id: $id) {{ updatedAt part: {part} }} }}")
}

/// `$id`: the order's global id; `$after`: the last page's `endCursor`.
pub fn order_lines() -> String {
    order_part(
        "OrderLines",
        "$id: ID!, $after: String",
        &line_items(&after(MORE_LINES)),
    )
}

/// `$id`: the order's global id; `$after`: the last page's `endCursor`.
pub fn order_shipping_lines() -> String {
    order_part(
        "OrderShippingLines",
        "$id: ID!, $after: String",
        &shipping_lines(&after(MORE_SHIPPING_LINES)),
    )
}

/// `$id`: the order's global id.
pub fn order_refunds() -> String {
    order_part("OrderRefunds", "$id: ID!", &refunds(Some(LIST_LIMIT)))
}

/// `$id`: the order's global id.
pub fn order_transactions() -> String {
    order_part(
        "OrderTransactions",
        "$id: ID!",
        &transactions(Some(LIST_LIMIT)),
    )
}

/// `$id`: the customer's global id.
pub fn customer() -> String {
    format!("query Customer($id: ID!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS} }} }}")
}

/// `$query`: the search (`updated_at:>='…'`).
pub fn updated_orders() -> String {
    format!(
        "query UpdatedOrders($query: String!) {{ \
         orders(first: {POLL_PAGE}, sortKey: UPDATED_AT, query: $query) {{ \
         nodes {{ legacyResourceId updatedAt }} pageInfo {{ hasNextPage }} }} }}"
    )
}

/// The bulk query of the orders `search` finds (`updated_at:>='…' AND updated_at:<'…'`), oldest
/// change first: each order as [`order`] reads it, with every refund and transaction, then its
/// line items and shipping lines, each named by `__typename` (a bulk query reads every node of a
/// connection, and writes them as lines of their own: [`crate::bulk_orders`]).
pub fn bulk_orders(search: &str) -> String {
    let node = |fields: String| format!("edges {{ node {{ __typename {fields} }} }}");
    format!(
        "{{ orders(query: \"{search}\", sortKey: UPDATED_AT) {{ edges {{ node {{ {} {} {} \
         lineItems {{ {} }} shippingLines {{ {} }} }} }} }} }}",
        order_header_fields(),
        refunds(None),
        transactions(None),
        node(line_item_fields()),
        node(shipping_line_fields())
    )
}

/// `$query`: a bulk query ([`bulk_orders`]), its objects grouped under their parents.
pub const RUN_BULK_QUERY: &str = "mutation RunBulkQuery($query: String!) { \
    bulkOperationRunQuery(query: $query, groupObjects: true) { \
    bulkOperation { id status } userErrors { field message code } } }";

/// `$id`: the bulk operation's global id.
pub const BULK_OPERATION: &str = "query BulkOperation($id: ID!) { node(id: $id) { \
    ... on BulkOperation { status errorCode objectCount fileSize url } } }";

/// 6 points a refund line item.
fn refund_line_items(args: &str) -> String {
    let fields = format!(
        "id quantity lineItem {{ id sku name }} {} {}",
        money("subtotalSet"),
        money("totalTaxSet")
    );
    connection("refundLineItems", args, &fields)
}

/// 6 points a refunded shipping line.
fn refund_shipping(args: &str) -> String {
    let fields = format!(
        "id shippingLine {{ id }} {} {}",
        money("subtotalAmountSet"),
        money("taxAmountSet")
    );
    connection("refundShippingLines", args, &fields)
}

/// 5 points an order adjustment.
fn refund_adjustment_nodes(args: &str) -> String {
    let fields = format!("id reason {} {}", money("amountSet"), money("taxAmountSet"));
    connection("orderAdjustments", args, &fields)
}

/// 3 points a transaction (its amount with the currency).
fn refund_transaction_nodes(args: &str) -> String {
    connection(
        "transactions",
        args,
        "id kind status gateway processedAt createdAt amountSet { shopMoney { amount currencyCode } }",
    )
}

/// `$id`: the refund's global id.
pub fn refund() -> String {
    let parts = format!("first: {REFUND_PARTS}");
    format!(
        "query Refund($id: ID!) {{ refund(id: $id) {{ \
         legacyResourceId createdAt note order {{ legacyResourceId }} {} {} {} {} }} }}",
        refund_line_items(&format!("first: {FIRST_REFUND_LINES}")),
        refund_shipping(&parts),
        refund_adjustment_nodes(&parts),
        refund_transaction_nodes(&parts)
    )
}

/// A query named `name` of one connection `part` of the refund `$id`, after the cursor `$after`.
fn refund_part(name: &str, part: &str) -> String {
    format!("query {name}($id: ID!, $after: String) {{ refund(id: $id) {{ part: {part} }} }}")
}

/// `$id`: the refund's global id; `$after`: the last page's `endCursor`.
pub fn refund_lines() -> String {
    refund_part("RefundLines", &refund_line_items(&after(MORE_REFUND_LINES)))
}

/// `$id`: the refund's global id; `$after`: the last page's `endCursor`.
pub fn refund_shipping_lines() -> String {
    refund_part(
        "RefundShippingLines",
        &refund_shipping(&after(REFUND_PARTS)),
    )
}

/// `$id`: the refund's global id; `$after`: the last page's `endCursor`.
pub fn refund_adjustments() -> String {
    refund_part(
        "RefundAdjustments",
        &refund_adjustment_nodes(&after(REFUND_PARTS)),
    )
}

/// `$id`: the refund's global id; `$after`: the last page's `endCursor`.
pub fn refund_transactions() -> String {
    refund_part(
        "RefundTransactions",
        &refund_transaction_nodes(&after(REFUND_PARTS)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Shopify charges up front for `query`, by the simulator's rule.
    fn requested(query: &str) -> u64 {
        simulators::shopify::requested_cost(query, &serde_json::Map::new())
            .unwrap_or_else(|error| panic!("{error}: {query}"))
    }

    #[test]
    fn an_order_header_asks_for_at_most_150_points() {
        assert!(requested(&order()) <= 150, "{}", requested(&order()));
    }

    #[test]
    fn every_query_fits_the_bucket_and_costs_what_the_module_says() {
        let queries = [
            (order(), 147),
            (order_lines(), 453),
            (order_shipping_lines(), 203),
            (order_refunds(), 751),
            (order_transactions(), 751),
            (customer(), 1),
            (SHOP.to_string(), 1),
            (updated_orders(), 102),
            (RUN_BULK_QUERY.to_string(), 10),
            (BULK_OPERATION.to_string(), 1),
            (ACCESS_SCOPES.to_string(), 2),
            (refund(), 300),
            (refund_lines(), 603),
            (refund_shipping_lines(), 63),
            (refund_adjustments(), 53),
            (refund_transactions(), 33),
        ];
        for (query, documented) in queries {
            let cost = requested(&query);
            assert!(cost <= 1000, "{cost}: {query}");
            assert_eq!(cost, documented, "{query}");
        }
    }
}
