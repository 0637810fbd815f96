//! The shapes of the GraphQL answers, as [`crate::queries`] selects them. Amounts and tax rates
//! stay JSON values (strings or exact numbers) until they are normalized as decimals.

use ml_connector_sdk::PluginError;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoneyBag {
    pub shop_money: Money,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    pub amount: Value,
    /// Read where the query asks for it (a refund's transactions).
    #[serde(default)]
    pub currency_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxLine {
    pub title: String,
    pub rate: Option<Value>,
    pub price_set: MoneyBag,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub has_next_page: bool,
    #[serde(default)]
    pub end_cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection<T> {
    pub nodes: Vec<T>,
    pub page_info: PageInfo,
}

impl<T> Connection<T> {
    /// Appends the further pages, each read by `next` after the cursor given, while Shopify says
    /// more follow; `of` names the whole for the error when it gives no cursor (`order #1001`).
    pub fn read_rest(
        &mut self,
        of: &str,
        mut next: impl FnMut(String) -> Result<Connection<T>, PluginError>,
    ) -> Result<(), PluginError> {
        while self.page_info.has_next_page {
            let cursor = self.page_info.end_cursor.take().ok_or_else(|| {
                PluginError::transient(format!(
                    "Shopify said more of {of} follows but gave no cursor"
                ))
            })?;
            let page = next(cursor)?;
            self.nodes.extend(page.nodes);
            self.page_info = page.page_info;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub id: String,
    pub legacy_resource_id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub product_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    pub id: String,
    pub sku: Option<String>,
    pub name: String,
    pub title: Option<String>,
    pub variant_title: Option<String>,
    pub quantity: u64,
    pub vendor: Option<String>,
    pub taxable: bool,
    /// Null when the product was deleted since the order.
    pub product: Option<Product>,
    pub original_unit_price_set: MoneyBag,
    pub total_discount_set: MoneyBag,
    #[serde(default)]
    pub tax_lines: Vec<TaxLine>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingLine {
    pub id: Option<String>,
    pub title: String,
    pub code: Option<String>,
    pub original_price_set: MoneyBag,
    pub discounted_price_set: MoneyBag,
    #[serde(default)]
    pub tax_lines: Vec<TaxLine>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundSummary {
    pub legacy_resource_id: String,
    pub created_at: Option<String>,
    pub note: Option<String>,
    pub total_refunded_set: MoneyBag,
}

/// An `OrderTransaction`: `kind` (`SALE`, `CAPTURE`, `AUTHORIZATION`, `REFUND`, `VOID`, …) and
/// `status` (`SUCCESS`, `PENDING`, `FAILURE`, …) as GraphQL spells them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub gateway: Option<String>,
    pub processed_at: Option<String>,
    pub created_at: String,
    pub amount_set: MoneyBag,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: String,
    pub legacy_resource_id: String,
    pub name: String,
    pub email: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub processed_at: Option<String>,
    pub cancelled_at: Option<String>,
    pub cancel_reason: Option<String>,
    pub currency_code: String,
    pub presentment_currency_code: Option<String>,
    pub display_financial_status: Option<String>,
    pub test: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    pub source_name: Option<String>,
    #[serde(default)]
    pub payment_gateway_names: Vec<String>,
    pub taxes_included: bool,
    pub subtotal_price_set: MoneyBag,
    pub total_discounts_set: MoneyBag,
    pub total_shipping_price_set: MoneyBag,
    pub total_tax_set: MoneyBag,
    pub total_price_set: MoneyBag,
    pub total_refunded_set: MoneyBag,
    pub current_total_price_set: MoneyBag,
    pub customer: Option<Customer>,
    pub shipping_lines: Connection<ShippingLine>,
    #[serde(default)]
    pub tax_lines: Vec<TaxLine>,
    #[serde(default)]
    pub refunds: Vec<RefundSummary>,
    #[serde(default)]
    pub transactions: Vec<Transaction>,
    pub line_items: Connection<LineItem>,
}

/// The `data` of [`crate::queries::order`].
#[derive(Debug, Deserialize)]
pub struct OrderData {
    pub order: Option<Order>,
}

/// The `data` of a query of one part of an order ([`crate::queries::order_lines`] and the like):
/// a page of line items or shipping lines, or the refunds or transactions.
#[derive(Debug, Deserialize)]
pub struct OrderPartData<T> {
    pub order: Option<OrderPart<T>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderPart<T> {
    pub updated_at: String,
    pub part: T,
}

/// The `data` of [`crate::queries::customer`].
#[derive(Debug, Deserialize)]
pub struct CustomerData {
    pub customer: Option<Customer>,
}

/// The `data` of [`crate::queries::SHOP`].
#[derive(Debug, Deserialize)]
pub struct ShopData {
    pub shop: Shop,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shop {
    pub name: String,
    pub myshopify_domain: String,
    pub currency_code: String,
}

/// The `data` of [`crate::queries::updated_orders`].
#[derive(Debug, Deserialize)]
pub struct UpdatedOrdersData {
    pub orders: Connection<UpdatedOrder>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatedOrder {
    pub legacy_resource_id: String,
    pub updated_at: String,
}

/// The `data` of [`crate::queries::RUN_BULK_QUERY`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunBulkQueryData {
    pub bulk_operation_run_query: RunBulkQuery,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunBulkQuery {
    pub bulk_operation: Option<Id>,
    #[serde(default)]
    pub user_errors: Vec<UserError>,
}

#[derive(Debug, Deserialize)]
pub struct UserError {
    pub message: String,
    #[serde(default)]
    pub code: Option<String>,
}

/// The `data` of [`crate::queries::BULK_OPERATION`].
#[derive(Debug, Deserialize)]
pub struct BulkOperationData {
    pub node: Option<BulkOperation>,
}

/// A bulk operation: `status` `CREATED`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELING`,
/// `CANCELED` or `EXPIRED`; the counts are `UnsignedInt64`, which Shopify writes as strings.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperation {
    pub status: String,
    pub error_code: Option<String>,
    pub object_count: Value,
    pub file_size: Option<Value>,
    pub url: Option<String>,
}

/// The `data` of [`crate::queries::ACCESS_SCOPES`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessScopesData {
    pub current_app_installation: AppInstallation,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInstallation {
    pub access_scopes: Vec<AccessScope>,
}

#[derive(Debug, Deserialize)]
pub struct AccessScope {
    pub handle: String,
}

/// The `data` of [`crate::queries::refund`].
#[derive(Debug, Deserialize)]
pub struct RefundData {
    pub refund: Option<Refund>,
}

/// The `data` of a query of one connection of a refund ([`crate::queries::refund_lines`] and the
/// like).
#[derive(Debug, Deserialize)]
pub struct RefundPartData<T> {
    pub refund: Option<RefundPart<T>>,
}

#[derive(Debug, Deserialize)]
pub struct RefundPart<T> {
    pub part: T,
}

/// A `Refund` read by its id, with its connections.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub legacy_resource_id: String,
    pub created_at: Option<String>,
    pub note: Option<String>,
    pub order: LegacyId,
    pub refund_line_items: Connection<RefundLineItem>,
    pub refund_shipping_lines: Connection<RefundShippingLine>,
    pub order_adjustments: Connection<OrderAdjustment>,
    pub transactions: Connection<Transaction>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacyId {
    pub legacy_resource_id: String,
}

#[derive(Debug, Deserialize)]
pub struct Id {
    pub id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundLineItem {
    pub id: Option<String>,
    pub quantity: u64,
    pub line_item: RefundedLineItem,
    pub subtotal_set: MoneyBag,
    pub total_tax_set: MoneyBag,
}

#[derive(Debug, Deserialize)]
pub struct RefundedLineItem {
    pub id: String,
    pub sku: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundShippingLine {
    pub id: Option<String>,
    pub shipping_line: Option<Id>,
    pub subtotal_amount_set: MoneyBag,
    pub tax_amount_set: MoneyBag,
}

/// `reason`: `REFUND_DISCREPANCY`, `RESTOCK`, `DAMAGE`, `CUSTOMER`, … as GraphQL spells it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderAdjustment {
    pub id: Option<String>,
    pub reason: Option<String>,
    pub amount_set: MoneyBag,
    pub tax_amount_set: MoneyBag,
}
