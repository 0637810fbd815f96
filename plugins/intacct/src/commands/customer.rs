//! `intacct.upsert-customer`: the generic `create` of a CUSTOMER; when Intacct answers that the
//! CUSTOMERID exists (BL34000061), the same fields go out as an `update` in a second request, with
//! the controlid `<controlid>/update`. A retry after either step is answered "already executed".

use ml_connector_sdk::{Command, PluginError};
use serde::Deserialize;

use super::{Prepared, Read};
use crate::controlid;
use crate::envelope::Function;
use crate::text::Xml;

pub const KIND: &str = "intacct.upsert-customer";

/// Intacct's "Another … with the given value(s) … already exists".
pub const DUPLICATE_ID: &str = "BL34000061";

/// The external ids of a customer: its CUSTOMERID and its RECORDNO.
const IDS: &[(&str, &str)] = &[("customer", "CUSTOMERID"), ("customer_record", "RECORDNO")];

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Customer {
    customer_id: String,
    name: String,
    /// The name on documents; `name` when not given.
    print_as: Option<String>,
    company_name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    /// `false` makes the customer inactive; not given leaves the status alone.
    active: Option<bool>,
}

impl Customer {
    /// `<CUSTOMER>…</CUSTOMER>`, the same for create and update.
    fn to_xml(&self) -> Xml {
        let contact = Xml::new()
            .text("PRINTAS", self.print_as.as_deref().unwrap_or(&self.name))
            .text_opt("COMPANYNAME", self.company_name.as_deref())
            .text_opt("FIRSTNAME", self.first_name.as_deref())
            .text_opt("LASTNAME", self.last_name.as_deref())
            .text_opt("PHONE1", self.phone.as_deref())
            .text_opt("EMAIL1", self.email.as_deref());
        let status = self
            .active
            .map(|active| if active { "active" } else { "inactive" });
        let customer = Xml::new()
            .text("CUSTOMERID", &self.customer_id)
            .text("NAME", &self.name)
            .text_opt("STATUS", status)
            .node("DISPLAYCONTACT", contact);
        Xml::new().node("CUSTOMER", customer)
    }
}

pub(super) fn prepare(command: &Command) -> Result<Prepared, PluginError> {
    let customer: Customer = command.body_json()?;
    let controlid = controlid::for_key(&command.key);
    let record = customer.to_xml();
    Ok(Prepared {
        key: command.key.clone(),
        function: Function {
            controlid: controlid.clone(),
            body: Xml::new().node("create", record.clone()),
        },
        read: Read::CreateOrUpdate {
            update: Function {
                controlid: controlid::step(&controlid, "update"),
                body: Xml::new().node("update", record),
            },
            record: "customer",
            ids: IDS,
        },
    })
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::serde_json::json;

    use super::*;

    #[test]
    fn creates_first_and_keeps_the_update_for_a_duplicate() {
        let command = Command::json(
            KIND,
            "evt-1/0",
            &json!({"customer_id": "C-1", "name": "O'Brien <&> Sons\u{7}", "email": "a@b.c", "active": true}),
        )
        .unwrap();
        let prepared = prepare(&command).unwrap();
        assert_eq!(prepared.function.controlid, "evt-1/0");
        let record = "<CUSTOMER><CUSTOMERID>C-1</CUSTOMERID>\
            <NAME>O&apos;Brien &lt;&amp;&gt; Sons</NAME><STATUS>active</STATUS><DISPLAYCONTACT>\
            <PRINTAS>O&apos;Brien &lt;&amp;&gt; Sons</PRINTAS><EMAIL1>a@b.c</EMAIL1>\
            </DISPLAYCONTACT></CUSTOMER>";
        assert_eq!(
            prepared.function.body.clone().into_string(),
            format!("<create>{record}</create>")
        );
        let Read::CreateOrUpdate { update, .. } = prepared.read else {
            panic!("an upsert keeps its update");
        };
        assert_eq!(update.controlid, "evt-1/0/update");
        assert_eq!(
            update.body.into_string(),
            format!("<update>{record}</update>")
        );
    }
}
