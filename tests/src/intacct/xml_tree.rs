//! A small owned XML element tree: parsing a request body into it (with the XML 1.0 character rules
//! Intacct enforces) and writing response documents from it.

use quick_xml::escape::{escape, partial_escape, resolve_predefined_entity};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// One XML element: its name, attributes, child elements and the text directly inside it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

/// Why a body is not well-formed XML 1.0, in the words of the gateway's parser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Fatal Error {code}: {message} at line {line}, column {column}")]
pub struct ParseError {
    code: u16,
    message: String,
    line: usize,
    column: usize,
}

impl ParseError {
    fn at(body: &str, offset: usize, code: u16, message: String) -> Self {
        let before = &body[..offset.min(body.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Self {
            code,
            message,
            line,
            column,
        }
    }
}

/// XML 1.0 `Char`: below 0x20 only TAB, LF and CR; never U+FFFE or U+FFFF.
pub fn is_legal_xml_char(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

impl Element {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// An element holding only text.
    pub fn leaf(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
            ..Self::default()
        }
    }

    pub fn attr(mut self, name: &str, value: impl Into<String>) -> Self {
        self.attrs.push((name.to_owned(), value.into()));
        self
    }

    pub fn child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    pub fn with_leaf(self, name: &str, text: impl Into<String>) -> Self {
        self.child(Element::leaf(name, text))
    }

    /// The value of attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The first child called `name`.
    pub fn find(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    /// The trimmed text of the first child called `name`, if it is there and not blank.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.find(name)
            .map(|child| child.text.trim())
            .filter(|text| !text.is_empty())
    }

    /// The element's own text, trimmed.
    pub fn trimmed(&self) -> &str {
        self.text.trim()
    }

    /// Parses a request body. Checks every character first: quick-xml lets C0 controls through.
    pub fn parse(body: &[u8]) -> Result<Element, ParseError> {
        let text = std::str::from_utf8(body).map_err(|error| {
            let message = "Input is not proper UTF-8, indicate encoding".to_owned();
            ParseError::at("", error.valid_up_to(), 9, message)
        })?;
        if let Some((offset, c)) = text.char_indices().find(|(_, c)| !is_legal_xml_char(*c)) {
            let message = format!("PCDATA invalid Char value {}", u32::from(c));
            return Err(ParseError::at(text, offset, 9, message));
        }
        parse_tree(text)
    }

    /// Writes the element as a complete document with an XML declaration.
    pub fn to_document(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        let indent = "  ".repeat(depth);
        out.push_str(&indent);
        out.push('<');
        out.push_str(&self.name);
        for (key, value) in &self.attrs {
            out.push_str(&format!(" {key}=\"{}\"", escape(value.as_str())));
        }
        if self.children.is_empty() {
            if self.text.is_empty() {
                out.push_str("/>\n");
            } else {
                out.push_str(&format!(
                    ">{}</{}>\n",
                    partial_escape(self.text.as_str()),
                    self.name
                ));
            }
            return;
        }
        out.push_str(">\n");
        for child in &self.children {
            child.write(out, depth + 1);
        }
        out.push_str(&format!("{indent}</{}>\n", self.name));
    }
}

fn parse_tree(text: &str) -> Result<Element, ParseError> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        let position = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let fail = |message: String| ParseError::at(text, position, 76, message);
        let event = reader
            .read_event()
            .map_err(|error| fail(error.to_string()))?;
        match event {
            Event::Start(start) => stack.push(open(&start).map_err(fail)?),
            Event::Empty(start) => {
                let element = open(&start).map_err(fail)?;
                attach(&mut stack, &mut root, element).map_err(fail)?;
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| fail("Opening and ending tag mismatch".into()))?;
                attach(&mut stack, &mut root, element).map_err(fail)?;
            }
            Event::Text(content) => {
                push_text(&mut stack, &content.xml10_content()).map_err(fail)?
            }
            Event::CData(content) => push_text(&mut stack, &content.into_inner()).map_err(fail)?,
            Event::GeneralRef(reference) => {
                let resolved = match reference
                    .resolve_char_ref()
                    .map_err(|error| fail(error.to_string()))?
                {
                    Some(c) if is_legal_xml_char(c) => c.to_string(),
                    Some(c) => {
                        return Err(fail(format!(
                            "xmlParseCharRef: invalid xmlChar value {}",
                            u32::from(c)
                        )));
                    }
                    None => resolve_predefined_entity(&reference)
                        .ok_or_else(|| fail(format!("Entity '{}' not defined", &*reference)))?
                        .to_owned(),
                };
                push_text(&mut stack, &resolved).map_err(fail)?;
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    let end = ParseError::at(
        text,
        text.len(),
        5,
        "Extra content at the end of the document".into(),
    );
    match (stack.is_empty(), root) {
        (true, Some(root)) => Ok(root),
        (false, _) => Err(ParseError {
            code: 77,
            message: "Premature end of data".into(),
            ..end
        }),
        (true, None) => Err(ParseError {
            code: 4,
            message: "Document is empty".into(),
            ..end
        }),
    }
}

fn open(start: &BytesStart<'_>) -> Result<Element, String> {
    let mut element = Element::new(start.name().into_inner());
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|error| error.to_string())?;
        let value = attribute
            .normalized_value(XmlVersion::default())
            .map_err(|error| error.to_string())?;
        element
            .attrs
            .push((attribute.key.into_inner().to_owned(), value.into_owned()));
    }
    Ok(element)
}

fn attach(
    stack: &mut [Element],
    root: &mut Option<Element>,
    element: Element,
) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => return Err("Extra content at the end of the document".into()),
    }
    Ok(())
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => parent.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err("Start tag expected, '<' not found".into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_text_and_entities() {
        let root = Element::parse(b"<a x=\"1\"><b>x &amp; y&#65;</b><c/></a>").unwrap();
        assert_eq!(root.attribute("x"), Some("1"));
        assert_eq!(root.text_of("b"), Some("x & yA"));
        assert!(root.find("c").is_some());
    }

    #[test]
    fn rejects_control_characters_raw_and_referenced() {
        let raw = Element::parse(b"<a>\x01</a>").unwrap_err();
        assert!(
            raw.to_string()
                .starts_with("Fatal Error 9: PCDATA invalid Char value 1")
        );
        assert!(Element::parse(b"<a>&#2;</a>").is_err());
        assert!(Element::parse("<a>\u{FFFE}</a>".as_bytes()).is_err());
    }

    #[test]
    fn rejects_unclosed_and_mismatched_tags() {
        assert!(Element::parse(b"<a><b></a>").is_err());
        assert!(Element::parse(b"<a><b>").is_err());
        assert!(Element::parse(b"").is_err());
    }
}
