//! Which sales order a shipment's batch is matched to: the `sales_order` of the
//! `intacct.create-gl-batch` body, `{"numbers", "field", "docpar_id"?}`, which the intacct
//! connector looks up before posting (exactly one order found: posted with its customer; none or
//! several: held for review, nothing posted).
//!
//! The numbers come from the config's templates filled from the shipment: `{number}` is its order
//! number without a leading `#` (`#1001` → `1001`), `{order_number}` the order number as
//! ShipStation has it, `{custom_field1}` to `{custom_field3}` its custom fields (where a store
//! often keeps the sales order number); so the default `["{number}", "#{number}"]` finds an order
//! numbered with or without `#`. A template whose value the shipment lacks is left out; none left
//! is `NeedsReview`. A person's resolution replaces all of it ([`crate::review`]).

use ml_connector_sdk::PluginError;
use ml_connector_sdk::serde_json::{Value, json};

use crate::config::{Config, OrderField};
use crate::entities::Shipment;
use crate::review::Resolution;

/// The `sales_order` of the shipment's batch; `None`: posted without one.
pub fn sales_order(
    config: &Config,
    resolution: &Resolution,
    shipment: &Shipment,
) -> Result<Option<Value>, PluginError> {
    let docpar_id = config
        .sales_order
        .as_ref()
        .and_then(|wanted| wanted.docpar_id.as_deref());
    let (field, numbers) = match (resolution, &config.sales_order) {
        (Resolution::WithoutOrder, _) | (Resolution::None, None) => return Ok(None),
        (Resolution::SalesOrder(doc_no), _) => (OrderField::DocNo, vec![doc_no.clone()]),
        (Resolution::None, Some(wanted)) => {
            let numbers = numbers(&wanted.numbers, shipment);
            if numbers.is_empty() {
                return Err(PluginError::needs_review(format!(
                    "shipment {} has no {} to find its sales order by: nothing was posted. \
                     Resolve with {{\"sales_order\": \"<DOCNO>\"}} or \
                     {{\"post_without_order\": true}}",
                    shipment.shipment_id,
                    needed(&wanted.numbers)
                )));
            }
            (wanted.field, numbers)
        }
    };
    let mut body = json!({"numbers": numbers, "field": field.name()});
    if let Some(docpar_id) = docpar_id {
        body["docpar_id"] = json!(docpar_id);
    }
    Ok(Some(body))
}

/// The numbers `templates` make of the shipment, each once; a template whose value the shipment
/// lacks (no order number, an empty custom field) makes none.
fn numbers(templates: &[String], shipment: &Shipment) -> Vec<String> {
    let order_number = shipment.order_number.as_deref().unwrap_or_default();
    let number = order_number.trim_start_matches('#').trim();
    let mut values = vec![("{number}", number), ("{order_number}", order_number)];
    for (index, field) in shipment.custom_fields.iter().enumerate() {
        let placeholder = ["{custom_field1}", "{custom_field2}", "{custom_field3}"][index];
        values.push((placeholder, field.as_deref().unwrap_or_default()));
    }
    let mut numbers: Vec<String> = Vec::new();
    for template in templates {
        let used: Vec<&(&str, &str)> = values
            .iter()
            .filter(|(placeholder, _)| template.contains(placeholder))
            .collect();
        if used.iter().any(|(_, value)| value.is_empty()) {
            continue;
        }
        let filled = used
            .iter()
            .fold(template.clone(), |filled, (placeholder, value)| {
                filled.replace(placeholder, value)
            });
        if !numbers.contains(&filled) {
            numbers.push(filled);
        }
    }
    numbers
}

/// What the templates need, for a message: `order number`, `customField1`, ….
fn needed(templates: &[String]) -> String {
    let mut needs: Vec<&str> = Vec::new();
    for (placeholder, what) in [
        ("{number}", "order number"),
        ("{order_number}", "order number"),
        ("{custom_field1}", "customField1"),
        ("{custom_field2}", "customField2"),
        ("{custom_field3}", "customField3"),
    ] {
        if templates
            .iter()
            .any(|template| template.contains(placeholder))
            && !needs.contains(&what)
        {
            needs.push(what);
        }
    }
    needs.join(" or ")
}
