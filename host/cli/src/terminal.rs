//! What `mlc` prints of text that came from outside (webhook ids, topics, plugin messages, remote
//! errors): control characters shown as their escapes, so such text cannot move the cursor, clear
//! the screen or forge a line of output.

/// `text` with any control character shown as its escape (`\u{7}`).
pub fn visible(text: &str) -> String {
    text.chars()
        .map(|c| match c.is_control() {
            true => c.escape_unicode().to_string(),
            false => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn control_characters_are_shown_escaped_and_the_rest_as_is() {
        assert_eq!(visible("order-1 Größe ✓"), "order-1 Größe ✓");
        assert_eq!(
            visible("a\u{1b}[2Jb\nfake line\r\u{7}"),
            "a\\u{1b}[2Jb\\u{a}fake line\\u{d}\\u{7}"
        );
    }
}
