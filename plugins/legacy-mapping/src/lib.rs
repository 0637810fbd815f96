//! `legacy-mapping`: a mapping built against the previous version of the plugin worlds,
//! `ml-connector:plugin@0.1.0` (its frozen folder, `wit/since_v0.1.0`), with wit-bindgen directly
//! rather than the SDK, which follows the current contract. It exists so the host's tests prove a
//! 0.1.0 plugin still loads and runs (`host/tests/all/wit_versions.rs`); that contract's mapping world
//! has `describe` and `map`, no `check-config`.
//!
//! Like `testkit-mapping` with `"command": "post"`: each `testkit.record` entity of a
//! `testkit.event` becomes a `testkit.post` with key `<event key>/<index of the entity>` and body
//! `{"id": <entity id>, "topic": <event topic>, "record": <entity body as JSON>}`. It reads no
//! config, and logs one `mapped` line per event with the event key and the command count.

/// The wit-bindgen bindings of the 0.1.0 mapping world. (Generated code: its ABI shims take one
/// argument per flattened value.)
#[allow(clippy::too_many_arguments)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/since_v0.1.0",
        world: "ml-connector:plugin/mapping@0.1.0",
        generate_all,
    });
}

use bindings::ml_connector::host::log::{Level, log};
use bindings::ml_connector::plugin::types::Rejection;
use bindings::{Command, Entity, Event, Guest, PluginError, PluginInfo};
use serde_json::{Value, json};

const POST: &str = "testkit.post";

pub struct LegacyMapping;

impl Guest for LegacyMapping {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "legacy-mapping".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Maps testkit records to ledger posts; built for contract 0.1.0, to \
                          prove 0.1.0 plugins still run."
                .into(),
            topics: vec!["testkit.event".into()],
            commands: vec![POST.into()],
        }
    }

    fn map(
        event: Event,
        records: Vec<Entity>,
        _config: String,
    ) -> Result<Vec<Command>, PluginError> {
        let commands = posts(&event, &records)?;
        log(
            Level::Info,
            "mapped",
            &[
                ("event".into(), event.key.clone()),
                ("commands".into(), commands.len().to_string()),
            ],
        );
        Ok(commands)
    }
}

/// One `testkit.post` per record.
fn posts(event: &Event, records: &[Entity]) -> Result<Vec<Command>, PluginError> {
    records
        .iter()
        .enumerate()
        .map(|(index, entity)| {
            let record: Value = serde_json::from_str(&entity.body).map_err(|error| {
                PluginError::Rejected(Rejection {
                    code: Some("legacy-mapping.record".into()),
                    message: format!("record {} is not JSON: {error}", entity.id),
                })
            })?;
            Ok(Command {
                kind: POST.into(),
                key: format!("{}/{index}", event.key),
                body: json!({ "id": entity.id, "topic": event.topic, "record": record })
                    .to_string(),
            })
        })
        .collect()
}

// Natively (unit tests, clippy) the exports would clash with the C library's symbols.
#[cfg(target_arch = "wasm32")]
bindings::export!(LegacyMapping with_types_in bindings);

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(id: &str, body: &str) -> Entity {
        Entity {
            kind: "testkit.record".into(),
            id: id.into(),
            body: body.into(),
        }
    }

    #[test]
    fn each_record_becomes_a_keyed_post() {
        let event = Event {
            key: "evt-1".into(),
            topic: "testkit.event".into(),
            reference: "r1".into(),
            occurred_at: None,
            payload: None,
        };
        let commands = posts(&event, &[entity("a", "{\"n\":1}"), entity("b", "{}")]).unwrap();
        assert_eq!(commands.len(), 2);
        assert_eq!(
            (commands[1].kind.as_str(), commands[1].key.as_str()),
            (POST, "evt-1/1")
        );
        assert_eq!(
            serde_json::from_str::<Value>(&commands[0].body).unwrap(),
            json!({"id": "a", "topic": "testkit.event", "record": {"n": 1}})
        );

        let refused = posts(&event, &[entity("c", "not json")]).unwrap_err();
        assert!(
            matches!(&refused, PluginError::Rejected(Rejection { code: Some(code), .. }) if code == "legacy-mapping.record"),
            "{refused:?}"
        );
    }
}
