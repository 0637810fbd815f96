//! The rule for the names plugins, connections and flows go by. A name appears in URLs
//! (`/webhooks/{connection}`, `/admin/plugins/{name}/rollback`), file names, log lines and the
//! terminal, so it is kept to characters that need no escaping anywhere.

/// The longest name allowed.
pub const MAX_NAME_LEN: usize = 64;

/// The rule in words, for the error that refuses a name.
pub const NAME_RULE: &str = "1 to 64 ASCII letters, digits, `-` or `_`";

/// Whether `name` follows the rule: 1 to [`MAX_NAME_LEN`] ASCII letters, digits, `-` or `_`.
pub fn is_valid_name(name: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_plain_ascii() {
        for good in [
            "intacct",
            "shopify-intacct",
            "shop_2",
            "A",
            &"x".repeat(MAX_NAME_LEN),
        ] {
            assert!(is_valid_name(good), "{good}");
        }
        let too_long = "x".repeat(MAX_NAME_LEN + 1);
        for bad in [
            "",
            "../../../tmp/x",
            "the shop",
            "shop%2F",
            "shop\u{1b}[2J",
            "café",
            "a.b",
            too_long.as_str(),
        ] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
    }
}
