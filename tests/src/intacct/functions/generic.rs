//! The generic object functions `create`, `update` and `delete`: routing each object to the module
//! that owns it, and "Object definition X not found" for objects the gateway does not know.

use super::{Outcome, customer, glbatch, objects, payment, reversal};
use crate::intacct::books::Books;
use crate::intacct::error::{FnResult, IntacctError};
use crate::intacct::values::required;
use crate::intacct::xml_tree::Element;

/// The objects the simulated gateway knows.
pub const KNOWN_OBJECTS: &[&str] = &[
    "CUSTOMER",
    "GLBATCH",
    "GLENTRY",
    "ARPYMT",
    "ARPYMTDETAIL",
    "ARINVOICE",
    "ARADJUSTMENT",
    "SODOCUMENT",
];

pub fn object_not_found(object: &str) -> IntacctError {
    IntacctError::business(format!("Object definition {object} not found"))
}

fn unsupported(object: &str, action: &str) -> IntacctError {
    if KNOWN_OBJECTS.contains(&object) {
        IntacctError::business(format!(
            "{action} is not available for {object} through the generic API."
        ))
    } else {
        object_not_found(object)
    }
}

pub fn create(books: &mut Books, element: &Element, controlid: &str) -> FnResult<Outcome> {
    if element.children.is_empty() {
        return Err(IntacctError::business("create needs an object to create."));
    }
    let mut records = Vec::new();
    for object in &element.children {
        records.push(match object.name.as_str() {
            "CUSTOMER" => customer::create(books, object)?,
            "GLBATCH" => glbatch::create(books, object, controlid)?,
            "ARPYMT" => payment::create_arpymt(books, object, controlid)?,
            other => return Err(unsupported(other, "create")),
        });
    }
    Ok(objects(records))
}

pub fn update(books: &mut Books, element: &Element) -> FnResult<Outcome> {
    let mut records = Vec::new();
    for object in &element.children {
        records.push(match object.name.as_str() {
            "CUSTOMER" => customer::update(books, object)?,
            other => return Err(unsupported(other, "update")),
        });
    }
    Ok(objects(records))
}

pub fn delete(books: &mut Books, element: &Element) -> FnResult<Outcome> {
    let object = required(element, "object")?;
    let keys: Vec<&str> = required(element, "keys")?
        .split(',')
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .collect();
    match object {
        "ARINVOICE" => Ok(objects(reversal::delete_invoices(books, &keys)?)),
        other => Err(unsupported(other, "delete")),
    }
}
