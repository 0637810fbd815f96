//! Removes secret values from text before it reaches a log, an error or a report.

const MASK: &str = "[redacted]";
/// Values shorter than this are not masked: masking "1" or "on" would garble every log line.
const SHORTEST_SECRET: usize = 4;
/// Recorded bodies also lose the values of XML elements and JSON string fields whose names hold one
/// of these: credentials a connector obtains at run time (an Intacct session id, a refreshed
/// OAuth token) are unknown to the host, but they travel under names like these.
const CREDENTIAL_NAMES: [&str; 5] = ["password", "sessionid", "token", "secret", "api_key"];

/// The secrets of one call, by value and name, longest value first so a secret containing
/// another is masked whole.
#[derive(Debug, Clone, Default)]
pub(crate) struct Redactor {
    secrets: Vec<Secret>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Secret {
    value: String,
    /// `[secret:NAME]`: what a tape keeps in its place.
    placeholder: String,
}

impl Redactor {
    /// A redactor of the secrets `(name, value)`.
    pub fn new<'a>(secrets: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut secrets: Vec<Secret> = secrets
            .into_iter()
            .filter(|(_, value)| value.len() >= SHORTEST_SECRET)
            .map(|(name, value)| Secret {
                value: value.to_owned(),
                placeholder: format!("[secret:{name}]"),
            })
            .collect();
        secrets.sort_by_key(|secret| std::cmp::Reverse(secret.value.len()));
        secrets.dedup_by(|a, b| a.value == b.value);
        Self { secrets }
    }

    /// The start of `bytes` as text, at most `cap` bytes of it, redacted. Redaction runs before the
    /// cut, over enough text that a secret straddling the cut is masked rather than half shown.
    pub fn excerpt(&self, bytes: &[u8], cap: usize) -> String {
        let longest = self.secrets.first().map_or(0, |secret| secret.value.len());
        let window = &bytes[..bytes.len().min(cap + longest)];
        let text = mask_credential_fields(&self.redact(&String::from_utf8_lossy(window)));
        clip(text, cap, bytes.len())
    }

    /// All of `bytes` as text for a tape: each secret of the connection replaced by a placeholder
    /// naming it (`[secret:NAME]`, which [`Redactor::restore`] puts back at a replay), and the
    /// values of credential-named fields masked, as in [`Redactor::excerpt`].
    pub fn whole(&self, bytes: &[u8]) -> String {
        let text = self.secrets.iter().fold(
            String::from_utf8_lossy(bytes).into_owned(),
            |text, secret| text.replace(secret.value.as_str(), &secret.placeholder),
        );
        mask_credential_fields(&text)
    }

    /// Text from a tape with the placeholders of this redactor's secrets replaced by their values.
    pub fn restore(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_owned(), |text, secret| {
            text.replace(secret.placeholder.as_str(), &secret.value)
        })
    }

    pub fn redact(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_owned(), |text, secret| {
            text.replace(secret.value.as_str(), MASK)
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
        let redactor = Redactor::new([
            ("short", "hunter2-secret"),
            ("long", "hunter2-secret-long"),
            ("tiny", "ab"),
        ]);
        assert_eq!(
            redactor.redact("k=hunter2-secret-long&x=hunter2-secret&y=ab"),
            "k=[redacted]&x=[redacted]&y=ab"
        );
    }

    #[test]
    fn excerpts_mask_a_secret_cut_by_the_cap() {
        let redactor = Redactor::new([("password", "topsecret")]);
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

    #[test]
    fn a_tape_names_each_secret_it_leaves_out_and_a_replay_puts_it_back() {
        let redactor = Redactor::new([("sender-id", "acme-sender"), ("password", "topsecret")]);
        let stored = br#"{"sessionid": "live.42", "identity": "https://gw acme-sender C1"}"#;
        let taped = redactor.whole(stored);
        assert_eq!(
            taped,
            r#"{"sessionid": "[redacted]", "identity": "https://gw [secret:sender-id] C1"}"#
        );
        assert_eq!(
            redactor.restore(&taped),
            r#"{"sessionid": "[redacted]", "identity": "https://gw acme-sender C1"}"#,
            "the secret comes back from the config; what the remote gave at run time does not"
        );
        assert_eq!(
            redactor.redact("pw=topsecret"),
            "pw=[redacted]",
            "logs name nothing"
        );
    }
}
