//! `testkit-mapping`: a mapping for the host's tests. Each `testkit.record` entity becomes one
//! command for the `testkit` connector; the flow config's `"command"` picks which:
//!
//! - `"storage-set"` (the default): a `testkit.storage-set` with body
//!   `{"key": "<prefix>/<entity id>", "value": <entity body text>}`, where `prefix` is the `prefix`
//!   setting read through the host's config (JSON text, default `"mapped"`);
//! - `"post"`: a `testkit.post` (an entry for the test ledger) with body
//!   `{"id": <entity id>, "topic": <event topic>, "record": <entity body as JSON>}`.
//!
//! For both:
//! - command key: `<event key>/<index of the entity>` (deterministic, so retries dedupe);
//! - an entity whose body has `"review": true` makes the whole event `NeedsReview`, unless the flow
//!   config has a top-level `"resolution"` (the flow engine adds it once a person resolved the
//!   review): then the event maps as usual, and each post body carries `"resolution": <that JSON>`;
//! - flow config `{"reject": "<reason>"}` makes it `Rejected` with code `testkit-mapping.reject`;
//!   an unknown `"command"` is `Rejected` with code `testkit-mapping.config`.
//!
//! `check-config` refuses what `map` would refuse every event for: an unknown `"command"` (and,
//! for `"storage-set"`, a `prefix` setting that is not JSON text).
//!
//! It logs one `mapped` line per event with the event key and the command count.

use ml_connector_sdk::serde_json::{Map, Value, json};
use ml_connector_sdk::{Command, Entity, Event, Mapping, PluginError, PluginInfo, config, log};

pub struct TestkitMapping;

const STORAGE_SET: &str = "testkit.storage-set";
const POST: &str = "testkit.post";

/// What each entity becomes (the flow config's `"command"`).
enum Kind {
    StorageSet { prefix: String },
    Post,
}

impl Kind {
    fn from_config(config: &Value) -> Result<Self, PluginError> {
        let storage_set = || {
            let prefix = config::get_json::<String>("prefix")?.unwrap_or_else(|| "mapped".into());
            Ok(Self::StorageSet { prefix })
        };
        match config.get("command") {
            None => storage_set(),
            Some(Value::String(name)) if name == "storage-set" => storage_set(),
            Some(Value::String(name)) if name == "post" => Ok(Self::Post),
            Some(other) => Err(PluginError::rejected_with_code(
                "testkit-mapping.config",
                format!("flow config `command` must be \"storage-set\" or \"post\", not {other}"),
            )),
        }
    }
}

impl Mapping for TestkitMapping {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "testkit-mapping".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Maps testkit records to testkit storage or ledger commands.".into(),
            topics: vec!["testkit.event".into(), "testkit.polled".into()],
            commands: vec![STORAGE_SET.into(), POST.into()],
        }
    }

    fn map(
        event: Event,
        records: Vec<Entity>,
        config: &Value,
    ) -> Result<Vec<Command>, PluginError> {
        if let Some(reason) = config.get("reject") {
            return Err(PluginError::rejected_with_code(
                "testkit-mapping.reject",
                format!("the flow config rejects this event: {reason}"),
            ));
        }
        let kind = Kind::from_config(config)?;
        let resolution = config.get("resolution");
        let commands = records
            .iter()
            .enumerate()
            .map(|(index, entity)| {
                let record: Value = entity.body_json()?;
                if record.get("review") == Some(&Value::Bool(true)) && resolution.is_none() {
                    return Err(PluginError::needs_review(format!(
                        "record {} asks for review",
                        entity.id
                    )));
                }
                let key = event.command_key(index);
                match &kind {
                    Kind::StorageSet { prefix } => storage_set(key, entity, prefix),
                    Kind::Post => post(key, &event, entity, record, resolution),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        log::info(
            "mapped",
            &[
                ("event", &event.key),
                ("commands", &commands.len().to_string()),
            ],
        );
        Ok(commands)
    }

    fn check_config(config: &Value) -> Result<(), String> {
        Kind::from_config(config)
            .map(drop)
            .map_err(|error| error.message().to_owned())
    }
}

fn storage_set(key: String, entity: &Entity, prefix: &str) -> Result<Command, PluginError> {
    Command::json(
        STORAGE_SET,
        key,
        &json!({ "key": format!("{prefix}/{}", entity.id), "value": entity.body }),
    )
}

fn post(
    key: String,
    event: &Event,
    entity: &Entity,
    record: Value,
    resolution: Option<&Value>,
) -> Result<Command, PluginError> {
    let mut body = Map::new();
    body.insert("id".into(), json!(entity.id));
    body.insert("topic".into(), json!(event.topic));
    body.insert("record".into(), record);
    if let Some(resolution) = resolution {
        body.insert("resolution".into(), resolution.clone());
    }
    Command::json(POST, key, &body)
}

ml_connector_sdk::export_mapping!(TestkitMapping);

#[cfg(test)]
mod tests {
    use ml_connector_sdk::log::Level;
    use ml_connector_sdk::testing;

    use super::*;

    fn event() -> Event {
        Event {
            key: "evt-1".into(),
            topic: "testkit.event".into(),
            reference: "r1".into(),
            ..Event::default()
        }
    }

    fn record(id: &str, body: Value) -> Entity {
        Entity::json("testkit.record", id, &body).unwrap()
    }

    #[test]
    fn maps_each_record_to_a_keyed_storage_command_and_logs() {
        testing::reset();
        testing::set_config([("prefix", "\"out\"")]);
        let records = vec![record("a", json!({"n": 1})), record("b", json!({"n": 2}))];

        let commands = TestkitMapping::map(event(), records, &Value::Null).unwrap();

        assert_eq!(commands.len(), 2);
        assert_eq!(commands[1].kind, STORAGE_SET);
        assert_eq!(commands[1].key, "evt-1/1");
        assert_eq!(
            commands[1].body_json::<Value>().unwrap(),
            json!({"key": "out/b", "value": "{\"n\":2}"})
        );
        let logs = testing::take_logs();
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].level, Level::Info);
        assert_eq!(logs[0].field("commands"), Some("2"));
    }

    #[test]
    fn same_input_gives_same_commands() {
        testing::reset();
        let records = || vec![record("a", json!({}))];
        assert_eq!(
            TestkitMapping::map(event(), records(), &Value::Null).unwrap(),
            TestkitMapping::map(event(), records(), &Value::Null).unwrap()
        );
        assert_eq!(
            TestkitMapping::map(event(), records(), &Value::Null).unwrap()[0]
                .body_json::<Value>()
                .unwrap()["key"],
            "mapped/a"
        );
        assert_eq!(
            TestkitMapping::map(event(), records(), &json!({"command": "storage-set"})).unwrap(),
            TestkitMapping::map(event(), records(), &Value::Null).unwrap()
        );
    }

    #[test]
    fn post_maps_each_record_to_a_keyed_ledger_entry() {
        testing::reset();
        let records = vec![record("a", json!({"n": 1})), record("b", json!({"n": 2}))];

        let commands = TestkitMapping::map(event(), records, &json!({"command": "post"})).unwrap();

        assert_eq!(commands.len(), 2);
        assert_eq!(commands[1].kind, POST);
        assert_eq!(commands[1].key, "evt-1/1");
        assert_eq!(
            commands[1].body_json::<Value>().unwrap(),
            json!({"id": "b", "topic": "testkit.event", "record": {"n": 2}})
        );
        assert_eq!(testing::take_logs()[0].field("commands"), Some("2"));
    }

    #[test]
    fn review_and_reject() {
        testing::reset();
        for config in [Value::Null, json!({"command": "post"})] {
            let review =
                TestkitMapping::map(event(), vec![record("a", json!({"review": true}))], &config);
            assert!(
                matches!(review, Err(PluginError::NeedsReview(_))),
                "{config}"
            );
        }

        let rejected = TestkitMapping::map(
            event(),
            vec![record("a", json!({}))],
            &json!({"reject": "no"}),
        );
        assert!(matches!(
            rejected,
            Err(PluginError::Rejected { code: Some(code), .. }) if code == "testkit-mapping.reject"
        ));

        let unknown = TestkitMapping::map(
            event(),
            vec![record("a", json!({}))],
            &json!({"command": "telex"}),
        );
        assert!(matches!(
            unknown,
            Err(PluginError::Rejected { code: Some(code), .. }) if code == "testkit-mapping.config"
        ));
    }

    #[test]
    fn a_resolution_lets_a_review_record_through_and_rides_on_each_post() {
        testing::reset();
        let records = || {
            vec![
                record("a", json!({"review": true})),
                record("b", json!({"n": 2})),
            ]
        };
        let resolution = json!({"approved_by": "pat", "note": "fine"});

        let posts = TestkitMapping::map(
            event(),
            records(),
            &json!({"command": "post", "resolution": resolution}),
        )
        .unwrap();
        assert_eq!(posts.len(), 2);
        for (post, (id, record)) in posts
            .iter()
            .zip([("a", json!({"review": true})), ("b", json!({"n": 2}))])
        {
            assert_eq!(
                post.body_json::<Value>().unwrap(),
                json!({"id": id, "topic": "testkit.event", "record": record, "resolution": resolution})
            );
        }

        let sets = TestkitMapping::map(event(), records(), &json!({"resolution": null})).unwrap();
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[0].kind, STORAGE_SET);
        assert_eq!(sets[0].body_json::<Value>().unwrap()["key"], "mapped/a");
    }

    #[test]
    fn check_config_refuses_an_unknown_command_as_map_does() {
        testing::reset();
        for good in [
            Value::Null,
            json!({"command": "post"}),
            json!({"reject": "no"}),
        ] {
            assert_eq!(TestkitMapping::check_config(&good), Ok(()), "{good}");
        }
        assert_eq!(
            TestkitMapping::check_config(&json!({"command": "telex"})),
            Err("flow config `command` must be \"storage-set\" or \"post\", not \"telex\"".into())
        );
    }

    #[test]
    fn describe_lists_both_command_kinds() {
        assert_eq!(TestkitMapping::describe().commands, [STORAGE_SET, POST]);
    }
}
