//! The webhook signature: `X-Shopify-Hmac-Sha256` is the base64 of HMAC-SHA256 over the raw body,
//! keyed with the app's client secret. Each candidate secret is checked in constant time, and all
//! of them are always checked, so the time taken says nothing about the body or the secrets.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Whether `signature` (base64) signs `body` under one of `secrets`.
pub fn matches(body: &[u8], signature: &str, secrets: &[String]) -> bool {
    let Ok(expected) = B64.decode(signature.trim()) else {
        return false;
    };
    secrets.iter().fold(false, |found, secret| {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
        mac.update(body);
        found | mac.verify_slice(&expected).is_ok()
    })
}

/// The signature Shopify sends for `body` under `secret` (for tests).
#[cfg(test)]
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    B64.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":5821001234567890123}"#;

    fn secrets(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn a_good_signature_matches() {
        let signature = sign("sim-client-secret", BODY);
        assert!(matches(BODY, &signature, &secrets(&["sim-client-secret"])));
    }

    #[test]
    fn a_bad_signature_or_body_does_not() {
        let signature = sign("sim-client-secret", BODY);
        assert!(!matches(BODY, &signature, &secrets(&["another-secret"])));
        assert!(!matches(
            br#"{"id":5821001234567890124}"#,
            &signature,
            &secrets(&["sim-client-secret"])
        ));
        assert!(!matches(
            BODY,
            "not base64!",
            &secrets(&["sim-client-secret"])
        ));
        assert!(!matches(BODY, "", &secrets(&["sim-client-secret"])));
        assert!(!matches(BODY, &signature, &[]));
    }

    #[test]
    fn during_a_rotation_either_secret_matches() {
        let both = secrets(&["new-secret", "old-secret"]);
        assert!(matches(BODY, &sign("old-secret", BODY), &both));
        assert!(matches(BODY, &sign("new-secret", BODY), &both));
        assert!(!matches(BODY, &sign("older-secret", BODY), &both));
    }
}
