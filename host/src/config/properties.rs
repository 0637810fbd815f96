//! Property tests of the configuration loader: any text, and the documented example with one
//! value replaced by a generated TOML value, loads as a `Config` or is refused with a
//! `ConfigError` that names a key and quotes no secret, and never panics or reads without bound.
//!
//! The default case count keeps this to seconds in CI; set `PROPTEST_CASES` (proptest reads it
//! itself) to run longer, e.g. `PROPTEST_CASES=20000 cargo test -p ml-connector-host --lib
//! config::properties`.

use std::path::Path;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use toml::Value;

use super::parse;
use super::testing::{env, example};

/// Where the generated files pretend to be: secret files named relative to it do not exist.
const CONFIG_PATH: &str = "/nonexistent-mlc-config-dir/mlc.toml";

/// The example's secrets (see `testing::env`): no error may quote them.
const SECRETS: [&str; 2] = ["admin-secret", "webhook-secret"];

/// Strings a careless or hostile author might write where the loader expects a duration, a
/// size, an address, a URL, a name or a path.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9]{1,25}(ms|s|m|h|d|)",
        "[0-9]{1,25}(B|KiB|MiB|GiB|kb|)",
        "(127\\.0\\.0\\.1|0\\.0\\.0\\.0|\\[::1\\]|localhost|[0-9.]{1,20}):[0-9]{0,7}",
        "(https?|ftp|file)://[a-z0-9.@:]{0,20}(/[a-z%0-9]{0,8})?",
        "[a-z./ %_\\-\u{0}-\u{1f}]{0,20}",
        Just("/dev/zero".to_owned()),
        Just("../../../../etc/passwd".to_owned()),
        Just("MLC_ADMIN_TOKEN".to_owned()),
    ]
}

/// Keys the loader knows, and others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "env",
            "file",
            "connector",
            "listen",
            "token",
            "source",
            "sink",
            "mapping",
            "events",
            "settings",
            "secrets",
        ])
        .prop_map(str::to_owned),
        "[a-z_\\-]{1,10}",
    ]
}

/// Any TOML value, nested a few levels.
fn toml_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(Value::Integer),
        prop_oneof![Just(-1i64), Just(0), Just(1), Just(u32::MAX as i64 + 1)]
            .prop_map(Value::Integer),
        any::<f64>().prop_map(Value::Float),
        any::<bool>().prop_map(Value::Boolean),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(key(), inner, 0..4)
                .prop_map(|entries| Value::Table(entries.into_iter().collect())),
        ]
    })
}

/// Loads `text`; an error must name a key and quote no secret.
fn check(text: &str) -> Result<(), TestCaseError> {
    if let Err(error) = parse::parse(Path::new(CONFIG_PATH), text, &env) {
        prop_assert!(!error.key.is_empty(), "{error}");
        let shown = error.to_string();
        for secret in SECRETS {
            prop_assert!(!shown.contains(secret), "{shown}");
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn any_text_loads_or_is_refused_with_a_key(text in any::<String>()) {
        check(&text)?;
    }

    #[test]
    fn the_example_with_one_value_replaced_loads_or_is_refused_with_a_key(
        line in any::<prop::sample::Index>(),
        value in toml_value(),
    ) {
        let example = example();
        let lines: Vec<&str> = example.lines().collect();
        let assignments: Vec<usize> = (0..lines.len())
            .filter(|at| lines[*at].contains(" = ") && !lines[*at].trim_start().starts_with('#'))
            .collect();
        let at = assignments[line.index(assignments.len())];
        let (key, _) = lines[at].split_once(" = ").expect("an assignment");
        let mut replaced = lines.clone();
        let assignment = format!("{key} = {value}");
        replaced[at] = &assignment;
        check(&replaced.join("\n"))?;
    }
}
