//! Function controlids. Under `uniqueid=true` Intacct runs a controlid once, so a write's controlid
//! is derived from the command's deterministic key alone: every retry of a command sends the same
//! controlid and cannot post twice. The key itself is used when it fits (1 to 200 characters,
//! no control characters, none that XML forbids); otherwise `key-` and the SHA-256 of the key in hex.
//!
//! A query must run on every attempt, so its controlid adds a serial number kept in storage.

use ml_connector_sdk::{PluginError, storage};
use sha2::{Digest, Sha256};

/// The longest key used as it is; the room left (Intacct allows 256) takes the suffixes.
const MAX_PLAIN_KEY: usize = 200;
/// The storage key of the query serial number.
const QUERY_SERIAL_KEY: &str = "query-serial";
/// Compare-and-swap attempts before giving up on a busy counter.
const SERIAL_ATTEMPTS: usize = 16;

/// The controlid of the write command keyed `key`.
pub fn for_key(key: &str) -> String {
    let legal = |c: char| !c.is_control() && !matches!(c, '\u{fffe}' | '\u{ffff}');
    let plain = (1..=MAX_PLAIN_KEY).contains(&key.chars().count()) && key.chars().all(legal);
    match plain {
        true => key.to_owned(),
        false => {
            let digest = Sha256::digest(key.as_bytes());
            let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
            format!("key-{hex}")
        }
    }
}

/// The controlid of a second function of the same command (e.g. the update of an upsert).
pub fn step(controlid: &str, step: &str) -> String {
    format!("{controlid}/{step}")
}

/// A controlid for a query: new on every call.
pub fn for_query(key: &str) -> Result<String, PluginError> {
    for _ in 0..SERIAL_ATTEMPTS {
        let current: Option<u64> = storage::get_json(QUERY_SERIAL_KEY)?;
        let next = current.unwrap_or(0) + 1;
        if storage::compare_and_swap_json(QUERY_SERIAL_KEY, current.as_ref(), Some(&next))? {
            return Ok(step(&for_key(key), &format!("q{next}")));
        }
    }
    Err(PluginError::transient(
        "the query serial number is busy; try again",
    ))
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::testing;

    use super::*;

    #[test]
    fn a_key_that_fits_is_its_own_controlid() {
        assert_eq!(for_key("shopify:order-1001/0"), "shopify:order-1001/0");
        assert_eq!(for_key("O'Brien & <co>"), "O'Brien & <co>");
        assert_eq!(step("evt/0", "update"), "evt/0/update");
    }

    #[test]
    fn long_or_illegal_keys_are_hashed_deterministically() {
        let long = "k".repeat(201);
        assert_eq!(for_key(&long), for_key(&long));
        assert_eq!(for_key(&long).len(), "key-".len() + 64);
        assert_ne!(for_key(&long), for_key(&"k".repeat(202)));
        assert!(for_key("a\u{1}b").starts_with("key-"));
        assert!(for_key("").starts_with("key-"));
    }

    #[test]
    fn queries_get_a_new_controlid_each_time() {
        testing::reset();
        assert_eq!(for_query("find/0").unwrap(), "find/0/q1");
        assert_eq!(for_query("find/0").unwrap(), "find/0/q2");
    }
}
