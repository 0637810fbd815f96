//! Property tests of the Intacct response parser through the connector's public exports: whatever
//! the gateway answers (arbitrary bytes, generated Intacct-like XML, mutations of real answers, any
//! HTTP status), `ping` and `apply` return a result and never panic; a refused sign-in at any level
//! is `Auth`; 401/403 is always `Auth`; the real answers still parse.
//!
//! The default case count keeps this to seconds in CI; set `PROPTEST_CASES` (proptest reads it
//! itself) to run longer, e.g. `PROPTEST_CASES=20000 cargo test -p intacct --test response_properties`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use intacct::Intacct;
use ml_connector_sdk::http::Response;
use ml_connector_sdk::serde_json::json;
use ml_connector_sdk::{Command, Connector, PluginError, testing};
use proptest::prelude::*;

const SESSION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><control>\
    <status>success</status><senderid>mlconnector</senderid><controlid>c</controlid>\
    <uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control><operation><authentication>\
    <status>success</status><userid>xml_gateway</userid><companyid>ml-demo</companyid>\
    <locationid></locationid><sessiontimestamp>2025-03-01T12:00:00+00:00</sessiontimestamp>\
    </authentication><result><status>success</status><function>getAPISession</function>\
    <controlid>getAPISession</controlid><data><api><sessionid>s1..</sessionid>\
    <endpoint>http://gateway/session</endpoint><locationid></locationid></api></data></result>\
    </operation></response>";
const REVERSED: &str = "<response><control><status>success</status></control><operation>\
    <authentication><status>success</status><userid>xml_gateway</userid></authentication><result>\
    <status>success</status><function>reverse_invoice</function><controlid>e/0</controlid>\
    <key>9</key></result></operation></response>";
const GATEWAY_REFUSAL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>\n    \
    <control>\n        <status>failure</status>\n    </control>\n    <errormessage>\n        \
    <error>\n            <errorno>XMLGW_JPP0002</errorno>\n            <description>Sign-in \
    information is incorrect. Please check your request.</description>\n        </error>\n    \
    </errormessage>\n</response>";
const CONTROL_REFUSAL: &str = "<response><control><status>failure</status></control>\
    <errormessage><error><errorno>XL03000006</errorno><description></description><description2>\
    Incorrect Intacct XML Partner ID or password.</description2><correction></correction></error>\
    </errormessage></response>";
const AUTHENTICATION_REFUSAL: &str = "<response><control><status>success</status></control>\
    <operation><authentication><status>failure</status><userid>xml_gateway</userid>\
    </authentication><errormessage><error><errorno>XL03000006</errorno><description2>Sign-in \
    information is incorrect</description2></error></errormessage></operation></response>";
const FUNCTION_FAILURE: &str = "<response><control><status>success</status></control><operation>\
    <authentication><status>success</status></authentication><result><status>failure</status>\
    <function>reverse_invoice</function><controlid>e/0</controlid><errormessage><error>\
    <errorno>BL01001973</errorno><description2>Invalid key 4 [Support ID: SIM1%7E2]</description2>\
    </error></errormessage></result></operation></response>";

/// A configured connection whose requests get `answers` in turn (then HTTP 503).
fn serve(answers: Vec<(u16, Vec<u8>)>) {
    testing::reset();
    testing::set_config([
        ("base_url", "http://gateway"),
        ("company_id", "ml-demo"),
        ("user_id", "xml_gateway"),
    ]);
    testing::set_secrets([
        ("sender_id", "mlconnector"),
        ("sender_password", "sender-secret"),
        ("user_password", "user-secret"),
    ]);
    let answers = Rc::new(RefCell::new(VecDeque::from(answers)));
    testing::set_http_handler(move |_| {
        let (status, body) = answers
            .borrow_mut()
            .pop_front()
            .unwrap_or((503, b"down".to_vec()));
        Ok(Response {
            status,
            headers: Vec::new(),
            body,
        })
    });
}

fn reverse() -> Command {
    Command::json(
        "intacct.reverse-invoice",
        "e/0",
        &json!({"invoice_key": "4", "date": "2025-03-01"}),
    )
    .unwrap()
}

/// Pings against `answer` at the login, then applies one command with `answer` at the session.
fn ping_and_apply(status: u16, body: &[u8]) -> (Result<String, PluginError>, usize) {
    serve(vec![(status, body.to_vec())]);
    let ping = Intacct::ping();
    serve(vec![(200, SESSION.into()), (status, body.to_vec())]);
    let applied = match Intacct::apply(vec![reverse()]) {
        Ok(results) => results.len(),
        Err(_) => 1,
    };
    (ping, applied)
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        4 => Just(200u16),
        1 => Just(401u16),
        1 => Just(403u16),
        1 => Just(400u16),
        1 => Just(429u16),
        1 => Just(502u16),
        1 => 100u16..600,
    ]
}

/// Element names and texts Intacct uses, so generated documents reach deep into the parser.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "response",
            "control",
            "status",
            "operation",
            "authentication",
            "result",
            "errormessage",
            "error",
            "errorno",
            "description",
            "description2",
            "correction",
            "function",
            "controlid",
            "key",
            "data",
            "api",
            "sessionid",
            "endpoint",
            "locationid",
            "userid",
            "companyid",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z_][a-zA-Z0-9_.-]{0,8}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "success",
            "failure",
            "aborted",
            "XL03000006",
            "XMLGW_JPP0002",
            "XL03000003",
            "e/0",
            "getAPISession",
            "http://gateway/session",
            "",
            " ",
            "&amp;",
            "&#x1F600;",
            "&bogus;",
            "<![CDATA[x]]>",
        ])
        .prop_map(str::to_owned),
        any::<String>().prop_map(|text| text.replace('&', "&amp;").replace('<', "&lt;")),
        ".{0,12}",
    ]
}

#[derive(Debug, Clone)]
struct Node {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn render(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (key, value) in &self.attributes {
            out.push_str(&format!(" {key}=\"{}\"", value.replace('"', "&quot;")));
        }
        out.push('>');
        out.push_str(&self.text);
        for child in &self.children {
            child.render(out);
        }
        out.push_str(&format!("</{}>", self.name));
    }
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = (name(), text()).prop_map(|(name, text)| Node {
        name,
        attributes: Vec::new(),
        text,
        children: Vec::new(),
    });
    leaf.prop_recursive(6, 64, 6, |inner| {
        (
            name(),
            prop::collection::vec((name(), text()), 0..2),
            text(),
            prop::collection::vec(inner, 0..6),
        )
            .prop_map(|(name, attributes, text, children)| Node {
                name,
                attributes,
                text,
                children,
            })
    })
}

/// A document rooted at `<response>` most of the time, with an XML declaration some of the time.
fn document() -> impl Strategy<Value = String> {
    (node(), any::<bool>(), any::<bool>()).prop_map(|(mut root, as_response, declared)| {
        if as_response {
            root.name = "response".into();
        }
        let mut out = match declared {
            true => "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".to_owned(),
            false => String::new(),
        };
        root.render(&mut out);
        out
    })
}

fn sample() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        SESSION,
        REVERSED,
        GATEWAY_REFUSAL,
        CONTROL_REFUSAL,
        AUTHENTICATION_REFUSAL,
        FUNCTION_FAILURE,
    ])
}

/// One edit of a byte string: cut a range, insert bytes, repeat a range or overwrite a byte.
#[derive(Debug, Clone)]
enum Edit {
    Cut(prop::sample::Index, prop::sample::Index),
    Insert(prop::sample::Index, Vec<u8>),
    Repeat(prop::sample::Index, prop::sample::Index),
    Set(prop::sample::Index, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    let index = any::<prop::sample::Index>;
    prop_oneof![
        (index(), index()).prop_map(|(a, b)| Edit::Cut(a, b)),
        (
            index(),
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..8),
                prop::sample::select(vec!["<", ">", "</", "/>", "&", "\"", "]]>", "<status>"])
                    .prop_map(|text| text.as_bytes().to_vec()),
            ]
        )
            .prop_map(|(at, bytes)| Edit::Insert(at, bytes)),
        (index(), index()).prop_map(|(a, b)| Edit::Repeat(a, b)),
        (index(), any::<u8>()).prop_map(|(at, byte)| Edit::Set(at, byte)),
    ]
}

fn mutate(sample: &str, edits: &[Edit]) -> Vec<u8> {
    let mut bytes = sample.as_bytes().to_vec();
    for edit in edits {
        let range = |a: &prop::sample::Index, b: &prop::sample::Index, len: usize| {
            let (a, b) = (a.index(len + 1), b.index(len + 1));
            (a.min(b), a.max(b))
        };
        match edit {
            Edit::Cut(a, b) => {
                let (from, to) = range(a, b, bytes.len());
                bytes.drain(from..to);
            }
            Edit::Insert(at, inserted) => {
                let at = at.index(bytes.len() + 1);
                bytes.splice(at..at, inserted.iter().copied());
            }
            Edit::Repeat(a, b) => {
                let (from, to) = range(a, b, bytes.len());
                let copy = bytes[from..to].to_vec();
                bytes.splice(to..to, copy);
            }
            Edit::Set(at, byte) => {
                if !bytes.is_empty() {
                    let at = at.index(bytes.len());
                    bytes[at] = *byte;
                }
            }
        }
    }
    bytes
}

fn check(status: u16, body: &[u8]) -> Result<(), TestCaseError> {
    let (ping, applied) = ping_and_apply(status, body);
    prop_assert_eq!(applied, 1, "apply answers one result per command");
    if matches!(status, 401 | 403) {
        prop_assert!(
            matches!(ping, Err(PluginError::Auth(_))),
            "HTTP {} must be auth, got {:?}",
            status,
            ping
        );
    }
    if let Err(PluginError::Auth(message)) = &ping {
        prop_assert!(message.contains("Check the"), "no advice: {}", message);
        prop_assert!(!message.contains("sender-secret") && !message.contains("user-secret"));
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(status in status(), body in prop::collection::vec(any::<u8>(), 0..512)) {
        check(status, &body)?;
    }

    #[test]
    fn generated_intacct_like_documents_never_panic(status in status(), body in document()) {
        check(status, body.as_bytes())?;
    }

    #[test]
    fn mutated_real_answers_never_panic(
        status in status(),
        sample in sample(),
        edits in prop::collection::vec(edit(), 1..5),
    ) {
        check(status, &mutate(sample, &edits))?;
    }

    #[test]
    fn real_answers_still_parse_with_any_whitespace_between_elements(
        indent in prop::sample::select(vec!["", "\n", "\n  ", "\r\n\t"]),
    ) {
        let indented = |body: &str| body.replace("><", &format!(">{indent}<"));
        serve(vec![(200, indented(SESSION).into_bytes())]);
        prop_assert_eq!(
            Intacct::ping().unwrap(),
            "company ml-demo, user xml_gateway, endpoint http://gateway/session"
        );
        for refusal in [CONTROL_REFUSAL, AUTHENTICATION_REFUSAL] {
            serve(vec![(200, indented(refusal).into_bytes())]);
            prop_assert!(matches!(Intacct::ping(), Err(PluginError::Auth(_))));
        }
        serve(vec![(401, indented(GATEWAY_REFUSAL).into_bytes())]);
        let refused = Intacct::ping();
        let auth = matches!(&refused, Err(PluginError::Auth(message)) if message.contains("XMLGW_JPP0002"));
        prop_assert!(auth, "{:?}", refused);
        serve(vec![
            (200, indented(SESSION).into_bytes()),
            (200, indented(REVERSED).into_bytes()),
        ]);
        let results = Intacct::apply(vec![reverse()]).unwrap();
        prop_assert_eq!(results[0].as_ref().unwrap().external_ids.clone(), vec![("reversal".to_owned(), "9".to_owned())]);
        serve(vec![
            (200, indented(SESSION).into_bytes()),
            (200, indented(FUNCTION_FAILURE).into_bytes()),
        ]);
        let results = Intacct::apply(vec![reverse()]).unwrap();
        let rejected =
            matches!(&results[0], Err(PluginError::Rejected { code: Some(code), .. }) if code == "BL01001973");
        prop_assert!(rejected, "{:?}", results);
    }
}
