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

/// 9 points a line item.
fn line_items(args: &str) -> String {
    let fields = format!(
        "id sku name title variantTitle quantity vendor taxable product {{ productType }} {} {} \
         taxLines {{ {TAX_LINE_FIELDS} }}",
        money("originalUnitPriceSet"),
        money("totalDiscountSet")
    );
    connection("lineItems", args, &fields)
}

/// 8 points a shipping line.
fn shipping_lines(args: &str) -> String {
    let fields = format!(
        "id title code {} {} taxLines {{ {TAX_LINE_FIELDS} }}",
        money("originalPriceSet"),
        money("discountedPriceSet")
    );
    connection("shippingLines", args, &fields)
}

/// 3 points a refund.
fn refunds(first: u32) -> String {
    format!(
        "refunds(first: {first}) {{ id legacyResourceId createdAt note {} }}",
        money("totalRefundedSet")
    )
}

/// 3 points a transaction.
fn transactions(first: u32) -> String {
    format!(
        "transactions(first: {first}) {{ id kind status gateway processedAt createdAt {} }}",
        money("amountSet")
    )
}

/// `$id`: the order's global id.
pub fn order() -> String {
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
        "query Order($id: ID!) {{ order(id: $id) {{ \
         id legacyResourceId name email createdAt updatedAt processedAt cancelledAt cancelReason \
         currencyCode presentmentCurrencyCode displayFinancialStatus test tags sourceName \
         paymentGatewayNames taxesIncluded {totals} \
         customer {{ {CUSTOMER_FIELDS} }} taxLines {{ {TAX_LINE_FIELDS} }} {} {} {} {} }} }}",
        line_items(&format!("first: {FIRST_LINES}")),
        shipping_lines(&format!("first: {FIRST_SHIPPING_LINES}")),
        refunds(FIRST_REFUNDS),
        transactions(FIRST_TRANSACTIONS)
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
    order_part("OrderRefunds", "$id: ID!", &refunds(LIST_LIMIT))
}

/// `$id`: the order's global id.
pub fn order_transactions() -> String {
    order_part("OrderTransactions", "$id: ID!", &transactions(LIST_LIMIT))
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
        ];
        for (query, documented) in queries {
            let cost = requested(&query);
            assert!(cost <= 1000, "{cost}: {query}");
            assert_eq!(cost, documented, "{query}");
        }
    }
}
