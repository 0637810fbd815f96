//! Writing request XML. Every text value and attribute value goes through
//! [`ml_connector_sdk::xml::escape`], which first drops the characters XML 1.0 forbids (C0 controls
//! other than TAB, LF and CR; U+FFFE; U+FFFF: one of them makes Intacct refuse the whole request)
//! and then escapes `& < > " '`. Element names are the connector's own constants and are written
//! as they are. Amounts are written rounded to cents, dates in the two formats Intacct uses.

use ml_connector_sdk::chrono::{Datelike, NaiveDate};
use ml_connector_sdk::money::{self, Decimal};
use ml_connector_sdk::xml::escape;

/// A date as generic objects and queries write it: `mm/dd/yyyy`.
pub fn mm_dd_yyyy(date: NaiveDate) -> String {
    date.format("%m/%d/%Y").to_string()
}

/// A sequence of XML elements under construction.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Xml {
    out: String,
}

impl Xml {
    pub fn new() -> Self {
        Self::default()
    }

    /// `<name>text</name>`.
    pub fn text(mut self, name: &str, text: &str) -> Self {
        self.out
            .push_str(&format!("<{name}>{}</{name}>", escape(text)));
        self
    }

    /// `<name>text</name>` when there is a text; nothing otherwise.
    pub fn text_opt(self, name: &str, text: Option<&str>) -> Self {
        match text {
            Some(text) => self.text(name, text),
            None => self,
        }
    }

    /// `<name>amount</name>`, rounded to cents (half away from zero) as Intacct books it, always
    /// with two decimals.
    pub fn amount(self, name: &str, amount: Decimal) -> Self {
        let mut cents = money::round_cents(amount);
        cents.rescale(2);
        self.text(name, &cents.to_string())
    }

    /// A legacy-function date: `<name><year/><month/><day/></name>`.
    pub fn legacy_date(self, name: &str, date: NaiveDate) -> Self {
        let parts = Xml::new()
            .text("year", &date.year().to_string())
            .text("month", &date.month().to_string())
            .text("day", &date.day().to_string());
        self.node(name, parts)
    }

    /// A legacy-function date when there is one.
    pub fn legacy_date_opt(self, name: &str, date: Option<NaiveDate>) -> Self {
        match date {
            Some(date) => self.legacy_date(name, date),
            None => self,
        }
    }

    /// A generic-object date: `<name>mm/dd/yyyy</name>`.
    pub fn us_date(self, name: &str, date: NaiveDate) -> Self {
        self.text(name, &mm_dd_yyyy(date))
    }

    /// `<name>children</name>`.
    pub fn node(mut self, name: &str, children: Xml) -> Self {
        self.out
            .push_str(&format!("<{name}>{}</{name}>", children.out));
        self
    }

    /// `<name attribute="value">children</name>`.
    pub fn node_with_attribute(
        mut self,
        name: &str,
        attribute: (&str, &str),
        children: Xml,
    ) -> Self {
        let (key, value) = attribute;
        self.out.push_str(&format!(
            "<{name} {key}=\"{}\">{}</{name}>",
            escape(value),
            children.out
        ));
        self
    }

    /// Appends every element of `other`.
    pub fn append(mut self, other: Xml) -> Self {
        self.out.push_str(&other.out);
        self
    }

    pub fn into_string(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_illegal_characters_then_escapes_text_and_attributes() {
        let xml = Xml::new()
            .text(
                "NAME",
                "A\u{1}cme\u{1b} <&> \"quoted\" 'single'\tTab\nLF\u{fffe}",
            )
            .node_with_attribute("reverse_invoice", ("key", "4\u{0}2\"&"), Xml::new());
        assert_eq!(
            xml.into_string(),
            "<NAME>Acme &lt;&amp;&gt; &quot;quoted&quot; &apos;single&apos;\tTab\nLF</NAME>\
             <reverse_invoice key=\"42&quot;&amp;\"></reverse_invoice>"
        );
    }

    #[test]
    fn writes_amounts_in_cents_and_both_date_formats() {
        let date = NaiveDate::from_ymd_opt(2025, 3, 7).unwrap();
        let xml = Xml::new()
            .amount("amount", "12.345".parse().unwrap())
            .amount("credit", "-0.5".parse().unwrap())
            .amount("whole", "7".parse().unwrap())
            .legacy_date("datecreated", date)
            .us_date("BATCH_DATE", date);
        assert_eq!(
            xml.into_string(),
            "<amount>12.35</amount><credit>-0.50</credit><whole>7.00</whole>\
             <datecreated><year>2025</year><month>3</month><day>7</day></datecreated>\
             <BATCH_DATE>03/07/2025</BATCH_DATE>"
        );
    }
}
