//! XML text for request bodies: [`escape`] makes any string safe as element text or an attribute
//! value, first dropping the characters XML 1.0 forbids (C0 controls other than TAB, LF and CR;
//! U+FFFE; U+FFFF), which no escaping can carry. [`quick_xml`] is re-exported for parsing.

pub use quick_xml;

/// Whether XML 1.0 allows `c` in a document at all.
fn allowed(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// Drops the characters XML 1.0 forbids, then escapes `& < > " '`.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars().filter(|&c| allowed(c)) {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_illegal_characters_then_escapes() {
        assert_eq!(
            escape("a\u{0}b\u{1b}&<>\"'\t\n\r\u{fffe}\u{ffff}é"),
            "ab&amp;&lt;&gt;&quot;&apos;\t\n\ré"
        );
    }
}
