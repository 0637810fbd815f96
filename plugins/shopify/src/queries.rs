//! The GraphQL queries, sized for the cost bucket: a query costs what it asks for (a connection
//! `2 + first × (1 + its node's objects)`, a list `first × (1 + …)`), and must fit a 1000-point
//! bucket whole. The order is read in pages: [`order`] (header, customer, shipping, taxes, refund
//! summaries, transactions and the first [`FIRST_LINES`] line items, about 800 points) then
//! [`order_lines`] ([`MORE_LINES`] line items a page, about 800 points) while
//! `pageInfo.hasNextPage`.

/// Line items read with the order header.
pub const FIRST_LINES: u32 = 50;
/// Line items per further page.
pub const MORE_LINES: u32 = 100;
/// Shipping lines read with the order (more is refused as incomplete).
pub const SHIPPING_LINES: u32 = 10;
/// Refunds summarised in the order.
pub const REFUNDS: u32 = 50;
/// Transactions read with the order (`Order.transactions` is a list, not a connection: as many
/// is taken to mean there may be more, and held for review).
pub const TRANSACTIONS: u32 = 50;
/// Orders per poll page.
pub const POLL_PAGE: u32 = 100;

pub const SHOP: &str = "query Shop { shop { name myshopifyDomain currencyCode } }";

const CUSTOMER_FIELDS: &str =
    "id legacyResourceId email firstName lastName displayName tags createdAt updatedAt";

const TAX_LINE_FIELDS: &str = "title rate priceSet { shopMoney { amount } }";

/// The selection of one line item (9 points).
fn line_item_fields() -> String {
    format!(
        "id sku name title variantTitle quantity vendor taxable product {{ productType }} \
         originalUnitPriceSet {{ shopMoney {{ amount }} }} \
         totalDiscountSet {{ shopMoney {{ amount }} }} \
         taxLines {{ {TAX_LINE_FIELDS} }}"
    )
}

fn line_items(first: u32) -> String {
    format!(
        "lineItems(first: {first}, after: $after) {{ nodes {{ {} }} \
         pageInfo {{ hasNextPage endCursor }} }}",
        line_item_fields()
    )
}

/// `$id`: the order's global id; `$after`: null.
pub fn order() -> String {
    let money = |field: &str| format!("{field} {{ shopMoney {{ amount }} }}");
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
        "query Order($id: ID!, $after: String) {{ order(id: $id) {{ \
         id legacyResourceId name email createdAt updatedAt processedAt cancelledAt cancelReason \
         currencyCode presentmentCurrencyCode displayFinancialStatus test tags sourceName \
         paymentGatewayNames taxesIncluded {totals} \
         customer {{ {CUSTOMER_FIELDS} }} \
         shippingLines(first: {SHIPPING_LINES}) {{ nodes {{ id title code \
         originalPriceSet {{ shopMoney {{ amount }} }} discountedPriceSet {{ shopMoney {{ amount }} }} \
         taxLines {{ {TAX_LINE_FIELDS} }} }} pageInfo {{ hasNextPage }} }} \
         taxLines {{ {TAX_LINE_FIELDS} }} \
         refunds(first: {REFUNDS}) {{ id legacyResourceId createdAt note \
         totalRefundedSet {{ shopMoney {{ amount }} }} }} \
         transactions(first: {TRANSACTIONS}) {{ id kind status gateway processedAt createdAt \
         amountSet {{ shopMoney {{ amount }} }} }} \
         {} }} }}",
        line_items(FIRST_LINES)
    )
}

/// `$id`: the order's global id; `$after`: the last page's `endCursor`.
pub fn order_lines() -> String {
    format!(
        "query OrderLines($id: ID!, $after: String) {{ order(id: $id) {{ {} }} }}",
        line_items(MORE_LINES)
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
