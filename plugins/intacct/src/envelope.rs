//! The request document around the functions:
//!
//! ```text
//! request
//!   control: senderid, password, controlid, uniqueid, dtdversion 3.0, includewhitespace false
//!   operation transaction="false"
//!     authentication: login(userid, companyid, password, locationid?) | sessionid
//!     content: function controlid="…" (one per command)
//! ```
//!
//! `transaction="false"`: each function stands alone, so one refused command does not roll back
//! the others of its batch.

use crate::settings::Settings;
use crate::text::Xml;

/// One function of the content: its controlid and its element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub controlid: String,
    pub body: Xml,
}

/// How the operation signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication<'a> {
    /// The user's credentials (only to open a session).
    Login,
    /// A session from `getAPISession`.
    Session(&'a str),
}

/// The control block's switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control<'a> {
    /// The request's own controlid (any text; the functions' controlids are what guard).
    pub controlid: &'a str,
    /// `uniqueid=true`: Intacct refuses to run a function whose controlid already completed.
    pub unique: bool,
}

/// The whole request document.
pub fn request(
    settings: &Settings,
    control: Control<'_>,
    authentication: Authentication<'_>,
    functions: &[&Function],
) -> String {
    let control_block = Xml::new()
        .text("senderid", &settings.sender_id)
        .text("password", &settings.sender_password)
        .text("controlid", control.controlid)
        .text("uniqueid", if control.unique { "true" } else { "false" })
        .text("dtdversion", "3.0")
        .text("includewhitespace", "false");
    let authentication = match authentication {
        Authentication::Login => Xml::new().node(
            "login",
            Xml::new()
                .text("userid", &settings.user_id)
                .text("companyid", &settings.company_id)
                .text("password", &settings.user_password)
                .text_opt("locationid", settings.location_id.as_deref()),
        ),
        Authentication::Session(session_id) => Xml::new().text("sessionid", session_id),
    };
    let content = functions.iter().fold(Xml::new(), |content, function| {
        content.node_with_attribute(
            "function",
            ("controlid", &function.controlid),
            function.body.clone(),
        )
    });
    let operation = Xml::new()
        .node("authentication", authentication)
        .node("content", content);
    let request = Xml::new().node(
        "request",
        Xml::new()
            .node("control", control_block)
            .node_with_attribute("operation", ("transaction", "false"), operation),
    );
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        request.into_string()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            location_id: Some("HQ".into()),
            sender_password: "p<&>".into(),
            ..crate::settings::sample()
        }
    }

    #[test]
    fn login_requests_carry_the_credentials_in_order() {
        let function = Function {
            controlid: "session".into(),
            body: Xml::new().node("getAPISession", Xml::new()),
        };
        let control = Control {
            controlid: "req-1",
            unique: false,
        };
        assert_eq!(
            request(&settings(), control, Authentication::Login, &[&function]),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<request><control>\
             <senderid>mlconnector</senderid><password>p&lt;&amp;&gt;</password>\
             <controlid>req-1</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion>\
             <includewhitespace>false</includewhitespace></control><operation transaction=\"false\">\
             <authentication><login><userid>xml_gateway</userid><companyid>ml-demo</companyid>\
             <password>u</password><locationid>HQ</locationid></login></authentication><content>\
             <function controlid=\"session\"><getAPISession></getAPISession></function></content>\
             </operation></request>"
        );
    }

    #[test]
    fn session_requests_hold_one_function_per_controlid() {
        let function = |controlid: &str| Function {
            controlid: controlid.into(),
            body: Xml::new().text("x", "1"),
        };
        let (first, second) = (function("evt-1/0"), function("evt-'1'/1"));
        let control = Control {
            controlid: "req-2",
            unique: true,
        };
        let document = request(
            &settings(),
            control,
            Authentication::Session("abc.."),
            &[&first, &second],
        );
        assert!(document.contains("<uniqueid>true</uniqueid>"));
        assert!(document.contains("<authentication><sessionid>abc..</sessionid></authentication>"));
        assert!(document.contains(
            "<content><function controlid=\"evt-1/0\"><x>1</x></function>\
             <function controlid=\"evt-&apos;1&apos;/1\"><x>1</x></function></content>"
        ));
    }
}
