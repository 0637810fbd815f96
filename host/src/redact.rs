//! Removes secret values from text before it reaches a log, an error or a report.

const MASK: &str = "[redacted]";
/// Values shorter than this are not masked: masking "1" or "on" would garble every log line.
const SHORTEST_SECRET: usize = 4;

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
        clip(
            self.redact(&String::from_utf8_lossy(window)),
            cap,
            bytes.len(),
        )
    }

    pub fn redact(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_owned(), |text, secret| {
            text.replace(secret.as_str(), MASK)
        })
    }
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
}
