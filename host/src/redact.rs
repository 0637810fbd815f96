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

    pub fn redact(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_owned(), |text, secret| {
            text.replace(secret.as_str(), MASK)
        })
    }
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
}
