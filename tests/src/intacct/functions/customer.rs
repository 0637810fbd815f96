//! The CUSTOMER object: generic create (duplicate CUSTOMERID → BL34000061) and update, and its
//! fields as `readByQuery` sees them.

use std::collections::BTreeMap;

use crate::intacct::books::Books;
use crate::intacct::error::{DUPLICATE_ID, FnResult, IntacctError};
use crate::intacct::ledger::Customer;
use crate::intacct::values::required;
use crate::intacct::xml_tree::Element;

pub fn create(books: &mut Books, object: &Element) -> FnResult<Element> {
    let customer_id = required(object, "CUSTOMERID")?.to_owned();
    let name = required(object, "NAME")?.to_owned();
    if books
        .customers
        .iter()
        .any(|customer| customer.customer_id == customer_id)
    {
        return Err(IntacctError::new(
            DUPLICATE_ID,
            "",
            format!("Another Customer with the given value(s) {customer_id} already exists"),
            "Use a unique value instead.",
        ));
    }
    let record_no = books.add_customer(customer_id.clone(), name, other_fields(object));
    Ok(answer(&record_no, &customer_id))
}

pub fn update(books: &mut Books, object: &Element) -> FnResult<Element> {
    let wanted = (object.text_of("CUSTOMERID"), object.text_of("RECORDNO"));
    let customer = books.customer_mut(wanted).ok_or_else(|| {
        IntacctError::business(
            "Update of CUSTOMER: no customer with the given CUSTOMERID or RECORDNO.",
        )
    })?;
    if let Some(name) = object.text_of("NAME") {
        customer.name = name.to_owned();
    }
    if let Some(status) = object.text_of("STATUS") {
        customer.status = status.to_owned();
    }
    customer.fields.extend(other_fields(object));
    Ok(answer(&customer.record_no, &customer.customer_id))
}

/// The fields of a customer by query name, RECORDNO first.
pub fn fields(customer: &Customer) -> Vec<(String, String)> {
    let header = [
        ("RECORDNO", &customer.record_no),
        ("CUSTOMERID", &customer.customer_id),
        ("NAME", &customer.name),
        ("STATUS", &customer.status),
    ];
    let header = header
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.clone()));
    header
        .chain(
            customer
                .fields
                .iter()
                .map(|(name, value)| (name.clone(), value.clone())),
        )
        .collect()
}

fn answer(record_no: &str, customer_id: &str) -> Element {
    Element::new("customer")
        .with_leaf("RECORDNO", record_no)
        .with_leaf("CUSTOMERID", customer_id)
}

/// Every leaf except the identifying ones, nested names joined with dots (`DISPLAYCONTACT.EMAIL1`).
fn other_fields(object: &Element) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for child in object.children.iter().filter(|child| {
        !matches!(
            child.name.as_str(),
            "CUSTOMERID" | "NAME" | "STATUS" | "RECORDNO"
        )
    }) {
        flatten(child, &child.name, &mut fields);
    }
    fields
}

fn flatten(element: &Element, path: &str, fields: &mut BTreeMap<String, String>) {
    if element.children.is_empty() {
        fields.insert(path.to_owned(), element.trimmed().to_owned());
    }
    for child in &element.children {
        flatten(child, &format!("{path}.{}", child.name), fields);
    }
}
