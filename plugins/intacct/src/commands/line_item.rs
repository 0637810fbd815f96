//! The `lineitem` of the legacy AR documents (`create_invoice`, `create_aradjustment`), in the
//! element order Intacct's DTD requires: glaccountno | accountlabel, offsetglaccountno?, amount,
//! memo?, locationid?, departmentid?, projectid?, customerid?, itemid?, classid?, warehouseid?.

use ml_connector_sdk::PluginError;
use ml_connector_sdk::money::Decimal;
use serde::Deserialize;

use super::fields::{self, Either};
use crate::text::Xml;

/// One line of an invoice or adjustment, as commands carry it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    /// The revenue (or other) account; or `account_label`.
    pub gl_account_no: Option<String>,
    pub account_label: Option<String>,
    /// The receivable account it offsets (the company's AR account when not given).
    pub offset_gl_account_no: Option<String>,
    #[serde(deserialize_with = "fields::amount")]
    pub amount: Decimal,
    pub memo: Option<String>,
    pub location_id: Option<String>,
    pub department_id: Option<String>,
    pub project_id: Option<String>,
    pub customer_id: Option<String>,
    pub item_id: Option<String>,
    pub class_id: Option<String>,
    pub warehouse_id: Option<String>,
}

impl LineItem {
    /// `<lineitem>…</lineitem>`.
    pub fn to_xml(&self) -> Result<Xml, PluginError> {
        let account = match fields::exactly_one(
            ("gl_account_no", self.gl_account_no.as_ref()),
            ("account_label", self.account_label.as_ref()),
        )? {
            Either::First(number) => Xml::new().text("glaccountno", number),
            Either::Second(label) => Xml::new().text("accountlabel", label),
        };
        let line = account
            .text_opt("offsetglaccountno", self.offset_gl_account_no.as_deref())
            .amount("amount", self.amount)
            .text_opt("memo", self.memo.as_deref())
            .text_opt("locationid", self.location_id.as_deref())
            .text_opt("departmentid", self.department_id.as_deref())
            .text_opt("projectid", self.project_id.as_deref())
            .text_opt("customerid", self.customer_id.as_deref())
            .text_opt("itemid", self.item_id.as_deref())
            .text_opt("classid", self.class_id.as_deref())
            .text_opt("warehouseid", self.warehouse_id.as_deref());
        Ok(Xml::new().node("lineitem", line))
    }
}

/// The `lineitem`s of `lines` inside `list`; at least one line is required.
pub fn items(list: &str, lines: &[LineItem]) -> Result<Xml, PluginError> {
    if lines.is_empty() {
        return Err(PluginError::rejected("`lines` needs at least one line"));
    }
    let items = lines.iter().try_fold(Xml::new(), |items, line| {
        Ok::<_, PluginError>(items.append(line.to_xml()?))
    })?;
    Ok(Xml::new().node(list, items))
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::serde_json::{self, json};

    use super::*;

    #[test]
    fn writes_every_field_in_the_dtd_order() {
        let line: LineItem = serde_json::from_value(json!({
            "warehouse_id": "W", "class_id": "ONLINE", "item_id": "SKU", "customer_id": "C",
            "project_id": "P", "department_id": "SALES", "location_id": "HQ", "memo": "m",
            "amount": "10", "offset_gl_account_no": "1200", "gl_account_no": "4000"
        }))
        .unwrap();
        assert_eq!(
            line.to_xml().unwrap().into_string(),
            "<lineitem><glaccountno>4000</glaccountno><offsetglaccountno>1200</offsetglaccountno>\
             <amount>10.00</amount><memo>m</memo><locationid>HQ</locationid>\
             <departmentid>SALES</departmentid><projectid>P</projectid><customerid>C</customerid>\
             <itemid>SKU</itemid><classid>ONLINE</classid><warehouseid>W</warehouseid></lineitem>"
        );
    }

    #[test]
    fn needs_one_account_and_one_line() {
        let by_label: LineItem =
            serde_json::from_value(json!({"account_label": "Sales", "amount": "1.5"})).unwrap();
        assert_eq!(
            by_label.to_xml().unwrap().into_string(),
            "<lineitem><accountlabel>Sales</accountlabel><amount>1.50</amount></lineitem>"
        );
        let both = LineItem {
            gl_account_no: Some("4000".into()),
            ..by_label.clone()
        };
        assert!(both.to_xml().is_err());
        assert!(items("invoiceitems", &[]).is_err());
        assert!(
            serde_json::from_value::<LineItem>(
                json!({"gl_account_no": "4000", "amount": "1", "colour": "red"})
            )
            .is_err()
        );
    }
}
