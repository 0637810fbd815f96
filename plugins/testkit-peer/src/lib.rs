//! `testkit-peer`: a second connector for the host's storage-isolation tests. Its `apply` knows two
//! command kinds, both on its own storage namespace:
//!
//! | kind | body | `data` |
//! | --- | --- | --- |
//! | `peer.read` | `{"key"}` | `{"value": "text" \| null, "keys": [every key it can list]}` |
//! | `peer.write` | `{"key", "value": "text"}` | `null` |

use ml_connector_sdk::{Applied, Command, Connector, PluginError, PluginInfo, storage};
use serde::Deserialize;
use serde_json::{Value, json};

pub struct TestkitPeer;

#[derive(Deserialize)]
struct Entry {
    key: String,
    value: Option<String>,
}

impl Connector for TestkitPeer {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "testkit-peer".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "A second connector with storage, for isolation tests.".into(),
            topics: Vec::new(),
            commands: vec!["peer.read".into(), "peer.write".into()],
        }
    }

    fn ping() -> Result<String, PluginError> {
        Ok("testkit-peer ok".into())
    }

    fn apply(commands: Vec<Command>) -> Result<Vec<Result<Applied, PluginError>>, PluginError> {
        Ok(commands.iter().map(run).collect())
    }
}

fn run(command: &Command) -> Result<Applied, PluginError> {
    let entry: Entry = command.body_json()?;
    let data = match (command.kind.as_str(), entry.value) {
        ("peer.read", _) => {
            let value =
                storage::get(&entry.key)?.map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
            json!({ "value": value, "keys": storage::list("")? })
        }
        ("peer.write", Some(value)) => {
            storage::set(&entry.key, value.as_bytes())?;
            Value::Null
        }
        (kind, _) => {
            return Err(PluginError::rejected(format!(
                "testkit-peer cannot run `{kind}`"
            )));
        }
    };
    Applied::new(&command.key).with_data_json(&data)
}

ml_connector_sdk::export_connector!(TestkitPeer);
