//! Reading response XML into a small owned element tree (names, attributes, children, text), and
//! turning a record element into JSON for query results.

use ml_connector_sdk::serde_json::{Map, Value};
use ml_connector_sdk::xml::quick_xml::escape::resolve_predefined_entity;
use ml_connector_sdk::xml::quick_xml::events::{BytesStart, Event};
use ml_connector_sdk::xml::quick_xml::{Reader, XmlVersion};

/// One element of a parsed document.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// The text directly inside the element, unescaped.
    pub text: String,
}

impl Element {
    /// Parses a whole document; the error says why it is not well-formed.
    pub fn parse(document: &str) -> Result<Element, String> {
        let mut reader = Reader::from_str(document);
        let mut open: Vec<Element> = Vec::new();
        let mut root = None;
        loop {
            match reader.read_event().map_err(|error| error.to_string())? {
                Event::Start(start) => open.push(start_element(&start)?),
                Event::Empty(start) => close(&mut open, &mut root, start_element(&start)?)?,
                Event::End(_) => {
                    let element = open.pop().ok_or("an end tag without a start tag")?;
                    close(&mut open, &mut root, element)?;
                }
                Event::Text(text) => push_text(&mut open, &text.xml10_content()),
                Event::CData(data) => push_text(&mut open, &data.into_inner()),
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref().map_err(|e| e.to_string())? {
                        Some(c) => c.to_string(),
                        None => resolve_predefined_entity(&reference)
                            .ok_or_else(|| format!("unknown entity &{};", &*reference))?
                            .to_owned(),
                    };
                    push_text(&mut open, &resolved);
                }
                Event::Eof => break,
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
        match (open.is_empty(), root) {
            (true, Some(root)) => Ok(root),
            (false, _) => Err("the document ends inside an element".into()),
            (true, None) => Err("the document is empty".into()),
        }
    }

    /// The first child called `name`.
    pub fn find(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    /// The children called `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// The trimmed text of the first child called `name`, if it is there and not blank.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.find(name)
            .map(|child| child.text.trim())
            .filter(|text| !text.is_empty())
    }

    /// The trimmed text of the first child called `name`, or `""`.
    pub fn text_or_empty(&self, name: &str) -> &str {
        self.text_of(name).unwrap_or_default()
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The element as JSON: a leaf is its trimmed text; an element with children an object of
    /// them (a repeated name becomes an array).
    pub fn to_json(&self) -> Value {
        if self.children.is_empty() {
            return Value::String(self.text.trim().to_owned());
        }
        let mut object = Map::new();
        for child in &self.children {
            let value = child.to_json();
            match object.get_mut(&child.name) {
                None => {
                    object.insert(child.name.clone(), value);
                }
                Some(Value::Array(values)) => values.push(value),
                Some(first) => *first = Value::Array(vec![first.take(), value]),
            }
        }
        Value::Object(object)
    }
}

fn start_element(start: &BytesStart<'_>) -> Result<Element, String> {
    let mut element = Element {
        name: start.name().into_inner().to_owned(),
        ..Element::default()
    };
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|error| error.to_string())?;
        let value = attribute
            .normalized_value(XmlVersion::default())
            .map_err(|error| error.to_string())?;
        element
            .attributes
            .push((attribute.key.into_inner().to_owned(), value.into_owned()));
    }
    Ok(element)
}

/// Attaches a finished element to its parent, or makes it the root.
fn close(open: &mut [Element], root: &mut Option<Element>, element: Element) -> Result<(), String> {
    match open.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => return Err("content after the root element".into()),
    }
    Ok(())
}

/// Text outside the root element (whitespace between declarations) is dropped.
fn push_text(open: &mut [Element], text: &str) {
    if let Some(parent) = open.last_mut() {
        parent.text.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::serde_json::json;

    use super::*;

    #[test]
    fn parses_text_entities_and_attributes() {
        let root = Element::parse(
            "<?xml version=\"1.0\"?>\n<a x=\"1&amp;2\"><b> O&apos;Brien &lt;&#65;&gt; </b><c/></a>",
        )
        .unwrap();
        assert_eq!(root.attribute("x"), Some("1&2"));
        assert_eq!(root.text_of("b"), Some("O'Brien <A>"));
        assert_eq!(root.text_of("c"), None);
        assert!(Element::parse("<a><b></a>").is_err());
        assert!(Element::parse("<html>503").is_err());
    }

    #[test]
    fn records_become_json_objects() {
        let root =
            Element::parse("<r><ID>7</ID><NAME> x </NAME><N><A>1</A><A>2</A><A>3</A></N></r>")
                .unwrap();
        assert_eq!(
            root.to_json(),
            json!({"ID": "7", "NAME": "x", "N": {"A": ["1", "2", "3"]}})
        );
    }
}
