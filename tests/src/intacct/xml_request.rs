//! The request document: `control` (sender credentials, controlid, uniqueid, dtdversion) and one
//! `operation` (transaction flag, login or session authentication, functions with their controlids),
//! read from the parsed body and checked against the request schema.

use super::error::IntacctError;
use super::functions::Kind;
use super::schema::{SchemaError, check_sequence, many, one, opt};
use super::xml_tree::Element;

#[derive(Clone, Debug, Default)]
pub struct Control {
    pub sender_id: String,
    pub password: String,
    pub controlid: String,
    pub uniqueid: String,
    pub dtdversion: String,
}

impl Control {
    pub fn unique(&self) -> bool {
        self.uniqueid.eq_ignore_ascii_case("true")
    }
}

#[derive(Clone, Debug)]
pub enum Authentication {
    Login {
        user_id: String,
        company_id: String,
        password: String,
        location_id: Option<String>,
    },
    Session(String),
}

/// What one function asks for.
#[derive(Clone, Copy, Debug)]
pub enum Call {
    GetApiSession,
    Books(Kind),
}

#[derive(Clone, Debug)]
pub struct FunctionCall {
    pub controlid: String,
    pub call: Call,
    /// The function element itself (`create_invoice`, `readByQuery` …).
    pub element: Element,
}

#[derive(Clone, Debug)]
pub struct Request {
    pub control: Control,
    pub transaction: bool,
    pub authentication: Authentication,
    pub functions: Vec<FunctionCall>,
}

/// A request refused at control level; `control` is echoed when it could be read.
#[derive(Debug)]
pub struct Refused {
    pub control: Option<Control>,
    pub error: IntacctError,
}

const MAX_CONTROLID_LEN: usize = 256;

/// Parses and schema-checks a request body.
pub fn parse_request(body: &[u8]) -> Result<Request, Box<Refused>> {
    let refuse = |control, error| {
        Box::new(Refused {
            control,
            error: IntacctError::parse(error),
        })
    };
    let root = Element::parse(body).map_err(|error| refuse(None, error.to_string()))?;
    let control = root.find("control").map(read_control);
    read_request(&root).map_err(|error| refuse(control, error.to_string()))
}

fn read_control(control: &Element) -> Control {
    let text = |name: &str| control.text_of(name).unwrap_or_default().to_owned();
    Control {
        sender_id: text("senderid"),
        password: text("password"),
        controlid: text("controlid"),
        uniqueid: text("uniqueid"),
        dtdversion: text("dtdversion"),
    }
}

fn read_request(root: &Element) -> Result<Request, SchemaError> {
    if root.name != "request" {
        return Err(SchemaError::new(
            &root.name,
            "No matching global declaration available for the validation root.",
        ));
    }
    check_sequence(root, &[one(&["control"]), one(&["operation"])])?;
    let (Some(control), Some(operation)) = (root.find("control"), root.find("operation")) else {
        return Err(SchemaError::new(
            "request",
            "Missing child element(s). Expected is ( control, operation ).",
        ));
    };
    let control_rules = [
        one(&["senderid"]),
        one(&["password"]),
        one(&["controlid"]),
        opt(&["uniqueid"]),
        one(&["dtdversion"]),
        opt(&["includewhitespace"]),
    ];
    check_sequence(control, &control_rules)?;
    let control = read_control(control);
    if control.dtdversion != "3.0" {
        return Err(SchemaError::new(
            "dtdversion",
            format!(
                "'{}' is not a supported dtdversion; use 3.0.",
                control.dtdversion
            ),
        ));
    }
    check_sequence(operation, &[one(&["authentication"]), one(&["content"])])?;
    let transaction = match operation.attribute("transaction") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(SchemaError::new(
                "operation",
                format!("'{other}' is not a valid value of attribute 'transaction'."),
            ));
        }
    };
    let authentication =
        read_authentication(operation.find("authentication").unwrap_or(operation))?;
    let content = operation.find("content").unwrap_or(operation);
    check_sequence(content, &[many(&["function"])])?;
    let functions = content
        .children
        .iter()
        .map(read_function)
        .collect::<Result<_, _>>()?;
    Ok(Request {
        control,
        transaction,
        authentication,
        functions,
    })
}

fn read_authentication(authentication: &Element) -> Result<Authentication, SchemaError> {
    check_sequence(authentication, &[one(&["login", "sessionid"])])?;
    if let Some(session) = authentication.find("sessionid") {
        return Ok(Authentication::Session(session.trimmed().to_owned()));
    }
    let login = authentication.find("login").unwrap_or(authentication);
    check_sequence(
        login,
        &[
            one(&["userid"]),
            one(&["companyid"]),
            one(&["password"]),
            opt(&["locationid"]),
        ],
    )?;
    let text = |name: &str| login.text_of(name).unwrap_or_default().to_owned();
    Ok(Authentication::Login {
        user_id: text("userid"),
        company_id: text("companyid"),
        password: text("password"),
        location_id: login.text_of("locationid").map(str::to_owned),
    })
}

fn read_function(function: &Element) -> Result<FunctionCall, SchemaError> {
    let controlid = function.attribute("controlid").unwrap_or_default();
    if controlid.is_empty() || controlid.chars().count() > MAX_CONTROLID_LEN {
        return Err(SchemaError::new(
            "function",
            "The attribute 'controlid' must hold 1 to 256 characters.",
        ));
    }
    let [element] = function.children.as_slice() else {
        return Err(SchemaError::new(
            "function",
            "Expected exactly one function element.",
        ));
    };
    let call = if element.name == "getAPISession" {
        check_sequence(element, &[opt(&["locationid"])])?;
        Call::GetApiSession
    } else {
        let kind = Kind::from_name(&element.name)
            .ok_or_else(|| SchemaError::new(&element.name, "This element is not expected."))?;
        kind.check_schema(element)?;
        Call::Books(kind)
    };
    Ok(FunctionCall {
        controlid: controlid.to_owned(),
        call,
        element: element.clone(),
    })
}
