//! Element-order rules of the legacy functions (the DTD's content models), checked before anything
//! runs: a violation fails the whole request at control level, as Intacct's schema validation does.

use super::xml_tree::Element;

/// How often the elements of one rule may appear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Occurs {
    Once,
    Optional,
    OneOrMore,
    ZeroOrMore,
}

/// One position of a content model: one element, or a choice among several.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    names: &'static [&'static str],
    occurs: Occurs,
}

impl Rule {
    fn required(&self) -> bool {
        matches!(self.occurs, Occurs::Once | Occurs::OneOrMore)
    }

    fn repeats(&self) -> bool {
        matches!(self.occurs, Occurs::OneOrMore | Occurs::ZeroOrMore)
    }
}

pub const fn one(names: &'static [&'static str]) -> Rule {
    Rule {
        names,
        occurs: Occurs::Once,
    }
}

pub const fn opt(names: &'static [&'static str]) -> Rule {
    Rule {
        names,
        occurs: Occurs::Optional,
    }
}

pub const fn many(names: &'static [&'static str]) -> Rule {
    Rule {
        names,
        occurs: Occurs::OneOrMore,
    }
}

pub const fn any(names: &'static [&'static str]) -> Rule {
    Rule {
        names,
        occurs: Occurs::ZeroOrMore,
    }
}

/// A schema violation, worded like libxml2's validation errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Error 1871: Element '{element}': {problem}")]
pub struct SchemaError {
    element: String,
    problem: String,
}

impl SchemaError {
    pub fn new(element: &str, problem: impl Into<String>) -> Self {
        Self {
            element: element.to_owned(),
            problem: problem.into(),
        }
    }
}

/// Checks that the children of `element` follow `rules` in order.
pub fn check_sequence(element: &Element, rules: &[Rule]) -> Result<(), SchemaError> {
    let mut index = 0;
    let mut used = 0;
    for child in &element.children {
        loop {
            let Some(rule) = rules.get(index) else {
                return Err(SchemaError::new(
                    &child.name,
                    "This element is not expected.",
                ));
            };
            if rule.names.contains(&child.name.as_str()) && (used == 0 || rule.repeats()) {
                used += 1;
                break;
            }
            if used == 0 && rule.required() {
                let expected = expected_from(rules, index);
                return Err(SchemaError::new(
                    &child.name,
                    format!("This element is not expected. Expected is ( {expected} )."),
                ));
            }
            index += 1;
            used = 0;
        }
    }
    let first_open = if used > 0 { index + 1 } else { index };
    match rules.iter().skip(first_open).position(Rule::required) {
        Some(offset) => {
            let expected = expected_from(rules, first_open + offset);
            Err(SchemaError::new(
                &element.name,
                format!("Missing child element(s). Expected is ( {expected} )."),
            ))
        }
        None => Ok(()),
    }
}

/// Checks a list of one or more children called `item`, each against `rules`.
pub fn check_items(
    list: &Element,
    item: &'static [&'static str],
    rules: &[Rule],
) -> Result<(), SchemaError> {
    check_sequence(list, &[many(item)])?;
    list.children
        .iter()
        .try_for_each(|child| check_sequence(child, rules))
}

/// Checks a legacy date: year, month, day.
pub fn check_date(date: &Element) -> Result<(), SchemaError> {
    check_sequence(date, &[one(&["year"]), one(&["month"]), one(&["day"])])
}

fn expected_from(rules: &[Rule], index: usize) -> String {
    let mut names = Vec::new();
    for rule in &rules[index..] {
        names.extend(rule.names.iter().copied());
        if rule.required() {
            break;
        }
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &[Rule] = &[one(&["a"]), opt(&["b", "c"]), many(&["d"]), any(&["e"])];

    fn element(children: &[&str]) -> Element {
        children
            .iter()
            .fold(Element::new("x"), |e, name| e.child(Element::new(*name)))
    }

    #[test]
    fn accepts_valid_orders() {
        assert!(check_sequence(&element(&["a", "d"]), RULES).is_ok());
        assert!(check_sequence(&element(&["a", "c", "d", "d", "e", "e"]), RULES).is_ok());
    }

    #[test]
    fn rejects_out_of_order_missing_and_unknown() {
        let swapped = check_sequence(&element(&["b", "a", "d"]), RULES).unwrap_err();
        assert_eq!(
            swapped.to_string(),
            "Error 1871: Element 'b': This element is not expected. Expected is ( a )."
        );
        assert!(check_sequence(&element(&["a", "b"]), RULES).is_err());
        assert!(check_sequence(&element(&["a", "d", "zz"]), RULES).is_err());
        assert!(check_sequence(&element(&["a", "b", "c", "d"]), RULES).is_err());
    }
}
