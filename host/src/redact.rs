//! Removes secret values from text before it reaches a log, an error or a report.

const MASK: &str = "[redacted]";
/// Values shorter than this are not masked: masking "1" or "on" would garble every log line.
const SHORTEST_SECRET: usize = 4;
/// Recorded bodies also lose the values of XML elements and JSON string fields whose names hold one
/// of these: credentials a connector obtains at run time (an Intacct session id, a refreshed
/// OAuth token) are unknown to the host, but they travel under names like these.
const CREDENTIAL_NAMES: [&str; 5] = ["password", "sessionid", "token", "secret", "api_key"];

/// The secret values of one call, longest first so a secret containing another is masked whole.
#[derive(Debug, Clone, Default)]
pub(crate) struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut secrets: Vec<String> = values
            .into_iter()
            .filter(|value| value.len() >= SHORTEST_SECRET)
            .map(str::to_owned)
            .collect();
        secrets.sort_by_key(|value| std::cmp::Reverse(value.len()));
        secrets.dedup();
        Self { secrets }
    }

    /// The start of `bytes` as text, at most `cap` bytes of it, redacted. Redaction runs before the
    /// cut, over enough text that a secret straddling the cut is masked rather than half shown.
    pub fn excerpt(&self, bytes: &[u8], cap: usize) -> String {
        let longest = self.secrets.first().map_or(0, String::len);
        let window = &bytes[..bytes.len().min(cap + longest)];
        let text = mask_credential_fields(&self.redact(&String::from_utf8_lossy(window)));
        clip(text, cap, bytes.len())
    }

    /// All of `bytes` as text, redacted as [`Redactor::excerpt`] redacts: what a tape keeps.
    pub fn whole(&self, bytes: &[u8]) -> String {
        mask_credential_fields(&self.redact(&String::from_utf8_lossy(bytes)))
    }

    pub fn redact(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_owned(), |text, secret| {
            text.replace(secret.as_str(), MASK)
        })
    }
}

/// `text` with the values of credential-named XML elements (`<sessionid>…</sessionid>`) and JSON
/// string fields (`"access_token": "…"`) masked.
fn mask_credential_fields(text: &str) -> String {
    let mut masked = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((start, end)) = next_credential_value(rest) {
        masked.push_str(&rest[..start]);
        masked.push_str(MASK);
        rest = &rest[end..];
    }
    masked.push_str(rest);
    masked
}

/// The byte range of the first credential value in `text`: the text of `<name>…<` or the
/// contents of `"name": "…"`.
fn next_credential_value(text: &str) -> Option<(usize, usize)> {
    let credential = |name: &str| {
        let name = name.to_ascii_lowercase();
        CREDENTIAL_NAMES.iter().any(|marker| name.contains(marker))
    };
    let mut from = 0;
    while from < text.len() {
        let next = text[from..].find(['<', '"'])? + from;
        let after = &text[next + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        let tail = &after[name_len..];
        if !name.is_empty() && credential(name) {
            let value_at = next + 1 + name_len;
            let is_element = text.as_bytes()[next] == b'<' && tail.starts_with('>');
            if is_element {
                let start = value_at + 1;
                let end = text[start..].find('<').map_or(text.len(), |at| start + at);
                if end > start {
                    return Some((start, end));
                }
            } else if let Some(inner) = json_string_value(tail) {
                let start = text.len() - inner.len();
                let end = string_end(inner).map_or(text.len(), |at| start + at);
                return Some((start, end));
            }
        }
        from = next + 1;
    }
    None
}

/// After a key's name: `": "value…` gives `value…`; anything else (a number, null) gives none.
fn json_string_value(after_name: &str) -> Option<&str> {
    let after_key = after_name.strip_prefix('"')?.trim_start();
    after_key.strip_prefix(':')?.trim_start().strip_prefix('"')
}

/// Where a JSON string's contents end (the closing quote), skipping escapes.
fn string_end(inner: &str) -> Option<usize> {
    let mut escaped = false;
    for (at, c) in inner.char_indices() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => return Some(at),
            _ => {}
        }
    }
    None
}

/// `text` cut to at most `cap` bytes (on a character boundary), with a note of the whole size
/// `total` when anything was left out.
pub(crate) fn clip(mut text: String, cap: usize, total: usize) -> String {
    if text.len() > cap {
        let mut cut = cap;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    if total > cap {
        text.push_str(&format!("… ({total} bytes in all)"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_occurrence_longest_first_and_leaves_short_values() {
        let redactor = Redactor::new(["hunter2-secret", "hunter2-secret-long", "ab"]);
        assert_eq!(
            redactor.redact("k=hunter2-secret-long&x=hunter2-secret&y=ab"),
            "k=[redacted]&x=[redacted]&y=ab"
        );
    }

    #[test]
    fn excerpts_mask_a_secret_cut_by_the_cap() {
        let redactor = Redactor::new(["topsecret"]);
        assert_eq!(
            redactor.excerpt(b"pw=topsecret", 6),
            "pw=[re… (12 bytes in all)"
        );
        assert_eq!(redactor.excerpt(b"short", 100), "short");
    }

    #[test]
    fn excerpts_mask_credential_fields_obtained_at_run_time() {
        let redactor = Redactor::default();
        let xml = b"<authentication><sessionid>abc.123</sessionid></authentication><password>p&amp;w</password><name>Ann</name>";
        assert_eq!(
            redactor.excerpt(xml, 1000),
            "<authentication><sessionid>[redacted]</sessionid></authentication><password>[redacted]</password><name>Ann</name>"
        );
        let json = br#"{"access_token": "shpat_1", "refresh_token":"r\"x", "scope": "read", "sessionid": null}"#;
        assert_eq!(
            redactor.excerpt(json, 1000),
            r#"{"access_token": "[redacted]", "refresh_token":"[redacted]", "scope": "read", "sessionid": null}"#
        );
    }
}
