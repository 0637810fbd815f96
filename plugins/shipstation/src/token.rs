//! The webhook token. V1 webhooks are not signed, so the receiver URL carries a secret:
//! ShipStation is subscribed to `https://<host>/webhooks/<connection>/<token>`, the host hands the
//! plugin the path after `/webhooks/<connection>` (`/<token>`), and the token is compared with the
//! secret `webhook_token`. The comparison hashes both sides (SHA-256) and compares the digests in
//! constant time, so the time taken says nothing about the token or its length.

use sha2::{Digest, Sha256};

/// The token in a webhook path: its one segment (`/abc` or `/abc/`); `None` for `/`, several
/// segments or characters a URL path segment would not carry unescaped.
pub fn from_path(path: &str) -> Option<&str> {
    let token = path.strip_prefix('/')?;
    let token = token.strip_suffix('/').unwrap_or(token);
    let valid = !token.is_empty()
        && token
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte));
    valid.then_some(token)
}

/// Whether `given` is `expected`, in constant time.
pub fn matches(given: &str, expected: &str) -> bool {
    let given = Sha256::digest(given.as_bytes());
    let expected = Sha256::digest(expected.as_bytes());
    given
        .iter()
        .zip(expected.iter())
        .fold(0u8, |difference, (a, b)| difference | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_the_one_path_segment() {
        assert_eq!(from_path("/s3cr3t-Token_1.x~"), Some("s3cr3t-Token_1.x~"));
        assert_eq!(from_path("/s3cr3t/"), Some("s3cr3t"));
        assert_eq!(from_path("/"), None);
        assert_eq!(from_path(""), None);
        assert_eq!(from_path("/a/b"), None);
        assert_eq!(from_path("/a%20b"), None);
        assert_eq!(from_path("s3cr3t"), None);
    }

    #[test]
    fn only_the_same_token_matches() {
        assert!(matches("s3cr3t", "s3cr3t"));
        assert!(!matches("s3cr3u", "s3cr3t"));
        assert!(!matches("s3cr3", "s3cr3t"));
        assert!(!matches("", "s3cr3t"));
        assert!(!matches("S3CR3T", "s3cr3t"));
    }
}
