//! Intacct's error records (`errormessage/error`: errorno, description, description2, correction) and
//! the error numbers the simulator answers with.

use super::xml_tree::Element;

/// Sender or sign-in refused (also an invalid or expired session).
pub const AUTHENTICATION_FAILED: &str = "XL03000006";
/// The gateway in front of Intacct refusing sign-in information (sent with HTTP 401).
pub const GATEWAY_SIGN_IN_INCORRECT: &str = "XMLGW_JPP0002";
/// The body is not well-formed or does not follow the request schema.
pub const XML_PARSE_ERROR: &str = "XL03000003";
/// A function of a failed `transaction="true"` operation that was rolled back.
pub const TRANSACTION_ROLLED_BACK: &str = "XL03000009";
/// A record with the same ID already exists.
pub const DUPLICATE_ID: &str = "BL34000061";
/// Intacct's general business-rule failure (bad account, unknown customer, unbalanced batch …).
pub const BUSINESS_RULE: &str = "BL01001973";
/// The simulator's own number for the HTTP 429 rate-limit answer (Intacct's is not documented).
pub const RATE_LIMITED: &str = "XL03000429";

/// One `error` of an `errormessage`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntacctError {
    pub errorno: String,
    pub description: String,
    pub description2: String,
    pub correction: String,
}

impl IntacctError {
    pub fn new(
        errorno: &str,
        description: &str,
        description2: impl Into<String>,
        correction: &str,
    ) -> Self {
        Self {
            errorno: errorno.to_owned(),
            description: description.to_owned(),
            description2: description2.into(),
            correction: correction.to_owned(),
        }
    }

    /// A business-rule failure of one function.
    pub fn business(description2: impl Into<String>) -> Self {
        Self::new(BUSINESS_RULE, "", description2, "")
    }

    /// A request that breaks the XML rules or the request schema.
    pub fn parse(detail: impl std::fmt::Display) -> Self {
        Self::new(
            XML_PARSE_ERROR,
            "",
            format!("XML Parse schema error: {detail}"),
            "Fix the request so that it follows the DTD.",
        )
    }

    /// The answer for each other function of a rolled-back transaction.
    pub fn rolled_back() -> Self {
        Self::new(
            TRANSACTION_ROLLED_BACK,
            "",
            "The entire transaction in this operation has been rolled back due to an error.",
            "",
        )
    }

    /// Appends Intacct's URL-encoded support reference to description2.
    pub fn with_support_id(mut self, id: &str) -> Self {
        self.description2 = format!("{} [Support ID: {id}]", self.description2);
        self
    }

    fn to_element(&self) -> Element {
        Element::new("error")
            .with_leaf("errorno", &self.errorno)
            .with_leaf("description", &self.description)
            .with_leaf("description2", &self.description2)
            .with_leaf("correction", &self.correction)
    }

    /// The `errormessage` element holding this error.
    pub fn to_errormessage(&self) -> Element {
        Element::new("errormessage").child(self.to_element())
    }
}

/// Every function failure is one of these.
pub type FnResult<T> = Result<T, IntacctError>;
