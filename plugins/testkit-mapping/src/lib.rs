//! `testkit-mapping`: a mapping for the host's tests. Each `testkit.record` entity becomes one
//! `testkit.storage-set` command for the `testkit` connector:
//!
//! - command key: `<event key>/<index of the entity>` (deterministic, so retries dedupe);
//! - body: `{"key": "<prefix>/<entity id>", "value": <entity body text>}`, where `prefix` is the
//!   `prefix` setting read through the host's config (JSON text, default `"mapped"`);
//! - an entity whose body has `"review": true` makes the whole event `NeedsReview`;
//! - flow config `{"reject": "<reason>"}` makes it `Rejected` with code `testkit-mapping.reject`.
//!
//! It logs one `mapped` line per event with the event key and the command count.

use ml_connector_sdk::serde_json::{Value, json};
use ml_connector_sdk::{Command, Entity, Event, Mapping, PluginError, PluginInfo, config, log};

pub struct TestkitMapping;

const COMMAND_KIND: &str = "testkit.storage-set";

impl Mapping for TestkitMapping {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "testkit-mapping".into(),
            version: "0.1.0".into(),
            description: "Maps testkit records to testkit storage commands.".into(),
            topics: vec!["testkit.event".into(), "testkit.polled".into()],
            commands: vec![COMMAND_KIND.into()],
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
        let prefix = config::get_json::<String>("prefix")?.unwrap_or_else(|| "mapped".into());
        let commands = records
            .iter()
            .enumerate()
            .map(|(index, entity)| command(&event, index, entity, &prefix))
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
}

fn command(
    event: &Event,
    index: usize,
    entity: &Entity,
    prefix: &str,
) -> Result<Command, PluginError> {
    let body: Value = entity.body_json()?;
    if body.get("review") == Some(&Value::Bool(true)) {
        return Err(PluginError::needs_review(format!(
            "record {} asks for review",
            entity.id
        )));
    }
    Command::json(
        COMMAND_KIND,
        event.command_key(index),
        &json!({ "key": format!("{prefix}/{}", entity.id), "value": entity.body }),
    )
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
        assert_eq!(commands[1].kind, COMMAND_KIND);
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
    }

    #[test]
    fn review_and_reject() {
        testing::reset();
        let review = TestkitMapping::map(
            event(),
            vec![record("a", json!({"review": true}))],
            &Value::Null,
        );
        assert!(matches!(review, Err(PluginError::NeedsReview(_))));

        let rejected = TestkitMapping::map(
            event(),
            vec![record("a", json!({}))],
            &json!({"reject": "no"}),
        );
        assert!(matches!(
            rejected,
            Err(PluginError::Rejected { code: Some(code), .. }) if code == "testkit-mapping.reject"
        ));
    }
}
