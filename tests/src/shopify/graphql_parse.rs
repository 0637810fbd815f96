//! A small parser for the GraphQL the simulator answers: one `query` or `mutation` operation
//! (anonymous or named, with variable definitions that are skipped), fields with aliases, arguments
//! and nested selections. Argument values may be variables, strings, numbers, booleans, null, enums,
//! lists and objects; variables are substituted from the request's `variables`. Inline fragments
//! (`... on BulkOperation { … }`) are read as their fields; named fragments and directives are
//! refused; which mutations exist is the executor's business.

use serde_json::{Map, Value};

/// One selected field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub alias: Option<String>,
    pub name: String,
    pub args: Map<String, Value>,
    pub selection: Vec<Field>,
}

impl Field {
    /// The key of this field in the response.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Punct(char),
    Spread,
    Name(String),
    Str(String),
    Num(String),
}

/// Parses `query` into its root selection, with `variables` substituted.
pub fn parse(query: &str, variables: &Map<String, Value>) -> Result<Vec<Field>, String> {
    let mut parser = Parser {
        tokens: tokenize(query)?,
        at: 0,
        variables,
    };
    match parser.peek() {
        Some(Token::Name(word)) if word == "query" || word == "mutation" => {
            parser.at += 1;
            if let Some(Token::Name(_)) = parser.peek() {
                parser.at += 1;
            }
            if parser.peek() == Some(&Token::Punct('(')) {
                parser.skip_variable_definitions()?;
            }
        }
        Some(Token::Name(word)) => {
            return Err(format!(
                "Unsupported operation '{word}': the simulator answers queries and mutations"
            ));
        }
        _ => {}
    }
    let selection = parser.selection_set()?;
    match parser.peek() {
        None => Ok(selection),
        Some(token) => Err(format!(
            "Parse error on {token:?}: only one operation is supported"
        )),
    }
}

/// The operation's name: `query Order($id: ID!) { … }` → `Order`; none when anonymous.
pub fn operation_name(query: &str) -> Option<String> {
    match tokenize(query).ok()?.as_slice() {
        [Token::Name(keyword), Token::Name(name), ..]
            if keyword == "query" || keyword == "mutation" =>
        {
            Some(name.clone())
        }
        _ => None,
    }
}

/// Whether the operation is a `mutation`.
pub fn is_mutation(query: &str) -> bool {
    matches!(tokenize(query).as_deref(), Ok([Token::Name(keyword), ..]) if keyword == "mutation")
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() || c == ',' => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '.' if chars[i..].starts_with(&['.', '.', '.']) => {
                tokens.push(Token::Spread);
                i += 3;
            }
            '{' | '}' | '(' | ')' | ':' | '!' | '$' | '[' | ']' | '=' | '@' => {
                tokens.push(Token::Punct(c));
                i += 1;
            }
            '"' => {
                let (text, next) = string_at(&chars, i + 1)?;
                tokens.push(Token::Str(text));
                i = next;
            }
            c if c == '-' || c.is_ascii_digit() => {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_digit()
                        || matches!(chars[i], '.' | 'e' | 'E' | '+' | '-'))
                {
                    i += 1;
                }
                tokens.push(Token::Num(chars[start..i].iter().collect()));
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let start = i;
                while i < chars.len() && (chars[i] == '_' || chars[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                tokens.push(Token::Name(chars[start..i].iter().collect()));
            }
            other => return Err(format!("Parse error: unexpected character '{other}'")),
        }
    }
    Ok(tokens)
}

/// The string starting after an opening quote at `start`, and the index after its closing quote.
fn string_at(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let mut text = String::new();
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '"' => return Ok((text, i + 1)),
            '\\' if i + 1 < chars.len() => {
                text.push(match chars[i + 1] {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
                i += 2;
            }
            other => {
                text.push(other);
                i += 1;
            }
        }
    }
    Err("Parse error: unterminated string".to_string())
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    variables: &'a Map<String, Value>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Result<Token, String> {
        let token = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or("Parse error: unexpected end of query")?;
        self.at += 1;
        Ok(token)
    }

    fn expect(&mut self, punct: char) -> Result<(), String> {
        match self.next()? {
            Token::Punct(found) if found == punct => Ok(()),
            other => Err(format!("Parse error: expected '{punct}', found {other:?}")),
        }
    }

    fn name(&mut self) -> Result<String, String> {
        match self.next()? {
            Token::Name(name) => Ok(name),
            other => Err(format!("Parse error: expected a name, found {other:?}")),
        }
    }

    fn skip_variable_definitions(&mut self) -> Result<(), String> {
        self.expect('(')?;
        while self.next()? != Token::Punct(')') {}
        Ok(())
    }

    fn selection_set(&mut self) -> Result<Vec<Field>, String> {
        self.expect('{')?;
        let mut fields = Vec::new();
        while self.peek() != Some(&Token::Punct('}')) {
            if self.inline_fragment()? {
                fields.extend(self.selection_set()?);
            } else {
                fields.push(self.field()?);
            }
        }
        self.expect('}')?;
        Ok(fields)
    }

    /// Skips `... on Type` before an inline fragment's selection (whose fields the selection
    /// takes in: the simulator's objects are of one type each); false when none is next.
    fn inline_fragment(&mut self) -> Result<bool, String> {
        match (self.peek(), self.tokens.get(self.at + 1)) {
            (Some(Token::Spread), Some(Token::Name(on))) if on == "on" => {
                self.at += 2;
                self.name()?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn field(&mut self) -> Result<Field, String> {
        match self.peek() {
            Some(Token::Spread) => {
                return Err("Fragments are not supported by the simulator".to_string());
            }
            Some(Token::Punct('@')) => {
                return Err("Directives are not supported by the simulator".to_string());
            }
            _ => {}
        }
        let first = self.name()?;
        let (alias, name) = if self.peek() == Some(&Token::Punct(':')) {
            self.at += 1;
            (Some(first), self.name()?)
        } else {
            (None, first)
        };
        let mut args = Map::new();
        if self.peek() == Some(&Token::Punct('(')) {
            self.at += 1;
            while self.peek() != Some(&Token::Punct(')')) {
                let arg = self.name()?;
                self.expect(':')?;
                args.insert(arg, self.value()?);
            }
            self.expect(')')?;
        }
        let selection = if self.peek() == Some(&Token::Punct('{')) {
            self.selection_set()?
        } else {
            Vec::new()
        };
        Ok(Field {
            alias,
            name,
            args,
            selection,
        })
    }

    fn value(&mut self) -> Result<Value, String> {
        Ok(match self.next()? {
            Token::Punct('$') => {
                let name = self.name()?;
                self.variables.get(&name).cloned().unwrap_or(Value::Null)
            }
            Token::Str(text) => Value::String(text),
            Token::Num(digits) => Value::Number(
                digits
                    .parse()
                    .map_err(|_| format!("Parse error: bad number {digits}"))?,
            ),
            Token::Name(word) => match word.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ => Value::String(word),
            },
            Token::Punct('[') => {
                let mut items = Vec::new();
                while self.peek() != Some(&Token::Punct(']')) {
                    items.push(self.value()?);
                }
                self.expect(']')?;
                Value::Array(items)
            }
            Token::Punct('{') => {
                let mut object = Map::new();
                while self.peek() != Some(&Token::Punct('}')) {
                    let key = self.name()?;
                    self.expect(':')?;
                    object.insert(key, self.value()?);
                }
                self.expect('}')?;
                Value::Object(object)
            }
            other => return Err(format!("Parse error: unexpected {other:?} in an argument")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_aliases_arguments_and_variables() {
        let variables = serde_json::json!({"id": "gid://shopify/Order/1", "after": null});
        let query = r#"query Order($id: ID!, $after: String) {
            o: order(id: $id) { name lineItems(first: 100, after: $after) { nodes { sku } } }
        }"#;
        let fields = parse(query, variables.as_object().unwrap()).unwrap();
        assert_eq!(fields[0].key(), "o");
        assert_eq!(fields[0].args["id"], "gid://shopify/Order/1");
        let lines = &fields[0].selection[1];
        assert_eq!(lines.args["first"], 100);
        assert_eq!(lines.args["after"], Value::Null);
        assert_eq!(lines.selection[0].selection[0].name, "sku");
    }

    #[test]
    fn names_a_named_query_only() {
        assert_eq!(
            operation_name("query Order($id: ID!) { order(id: $id) { name } }").as_deref(),
            Some("Order")
        );
        assert_eq!(operation_name("query { shop { name } }"), None);
        assert_eq!(operation_name("{ shop { name } }"), None);
    }

    #[test]
    fn reads_mutations_and_refuses_fragments() {
        let none = Map::new();
        let query = "mutation Run { bulkOperationRunQuery(query: \"{ orders { edges { node { id } } } }\") { userErrors { message } } }";
        assert_eq!(
            parse(query, &none).unwrap()[0].name,
            "bulkOperationRunQuery"
        );
        assert!(is_mutation(query));
        assert!(!is_mutation("query Run { shop { name } }"));
        assert_eq!(operation_name(query).as_deref(), Some("Run"));
        assert!(parse("subscription { orders { id } }", &none).is_err());
        assert!(parse("{ order(id: \"x\") { ...F } }", &none).is_err());
        let inline = parse(
            "{ node(id: \"x\") { ... on BulkOperation { id status } } }",
            &none,
        );
        let names: Vec<String> = inline.unwrap()[0]
            .selection
            .iter()
            .map(|f| f.name.clone())
            .collect();
        assert_eq!(names, ["id", "status"]);
    }
}
