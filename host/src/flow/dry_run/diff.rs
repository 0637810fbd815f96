//! How a candidate's commands differ from the recorded ones: commands matched by their key, each
//! body compared as JSON (so formatting never counts), and the paths where two bodies differ.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::flow::recording::RecordedCommand;

/// One command the candidate adds, leaves out or changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommandChange {
    pub key: String,
    pub kind: String,
    pub change: Change,
    /// Where the bodies differ (changed commands only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<Difference>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

/// A value at `path` (`lines[1].gl_account_no`) before and after; absent on one side: `None`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl fmt::Display for CommandChange {
    /// `changed intacct.create-invoice KEY`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let change = match self.change {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        };
        write!(f, "{change} {} {}", self.kind, self.key)
    }
}

impl fmt::Display for Difference {
    /// `lines[1].gl_account_no: "4100" -> "4000"`; `(none)` for a side without the value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |value: &Option<Value>| value.as_ref().map_or("(none)".into(), Value::to_string);
        write!(
            f,
            "{}: {} -> {}",
            self.path,
            show(&self.before),
            show(&self.after)
        )
    }
}

/// The changes from `before` to `after`, in `before`'s order, then what `after` adds.
pub fn commands(before: &[RecordedCommand], after: &[RecordedCommand]) -> Vec<CommandChange> {
    let after_by_key: BTreeMap<&str, &RecordedCommand> = after
        .iter()
        .map(|command| (command.key.as_str(), command))
        .collect();
    let before_keys: BTreeMap<&str, ()> = before
        .iter()
        .map(|command| (command.key.as_str(), ()))
        .collect();
    let mut changes = Vec::new();
    for old in before {
        match after_by_key.get(old.key.as_str()) {
            None => changes.push(change(old, Change::Removed, Vec::new())),
            Some(new) => {
                let mut differences = Vec::new();
                if old.kind != new.kind {
                    differences.push(Difference {
                        path: "kind".into(),
                        before: Some(Value::String(old.kind.clone())),
                        after: Some(Value::String(new.kind.clone())),
                    });
                }
                values("", &body(old), &body(new), &mut differences);
                if !differences.is_empty() {
                    changes.push(change(new, Change::Changed, differences));
                }
            }
        }
    }
    for new in after {
        if !before_keys.contains_key(new.key.as_str()) {
            changes.push(change(new, Change::Added, Vec::new()));
        }
    }
    changes
}

fn change(
    command: &RecordedCommand,
    change: Change,
    differences: Vec<Difference>,
) -> CommandChange {
    CommandChange {
        key: command.key.clone(),
        kind: command.kind.clone(),
        change,
        differences,
    }
}

/// A body as JSON; a body that is not JSON compares as its text.
/// Where two JSON values differ, by path.
pub fn json(before: &Value, after: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    values("", before, after, &mut out);
    out
}

fn body(command: &RecordedCommand) -> Value {
    serde_json::from_str(&command.body).unwrap_or_else(|_| Value::String(command.body.clone()))
}

fn values(path: &str, before: &Value, after: &Value, out: &mut Vec<Difference>) {
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            for (key, old_value) in old {
                let at = join(path, key);
                match new.get(key) {
                    Some(new_value) => values(&at, old_value, new_value, out),
                    None => out.push(Difference {
                        path: at,
                        before: Some(old_value.clone()),
                        after: None,
                    }),
                }
            }
            for (key, new_value) in new {
                if !old.contains_key(key) {
                    out.push(Difference {
                        path: join(path, key),
                        before: None,
                        after: Some(new_value.clone()),
                    });
                }
            }
        }
        (Value::Array(old), Value::Array(new)) => {
            for index in 0..old.len().max(new.len()) {
                let at = format!("{path}[{index}]");
                match (old.get(index), new.get(index)) {
                    (Some(old_value), Some(new_value)) => values(&at, old_value, new_value, out),
                    (old_value, new_value) => out.push(Difference {
                        path: at,
                        before: old_value.cloned(),
                        after: new_value.cloned(),
                    }),
                }
            }
        }
        _ if before != after => out.push(Difference {
            path: if path.is_empty() {
                "body".into()
            } else {
                path.into()
            },
            before: Some(before.clone()),
            after: Some(after.clone()),
        }),
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn command(key: &str, body: Value) -> RecordedCommand {
        RecordedCommand {
            kind: "intacct.create-invoice".into(),
            key: key.into(),
            body: body.to_string(),
        }
    }

    #[test]
    fn bodies_equal_as_json_are_unchanged_whatever_their_formatting() {
        let old = RecordedCommand {
            body: "{ \"a\": 1,  \"b\": [\"x\"] }".into(),
            ..command("k1", json!({}))
        };
        let new = command("k1", json!({"b": ["x"], "a": 1}));
        assert_eq!(commands(&[old], &[new]), []);
    }

    #[test]
    fn changed_added_and_removed_commands_name_the_paths_that_differ() {
        let old = [
            command(
                "k1",
                json!({"lines": [{"gl_account_no": "4000"}, {"gl_account_no": "4100", "memo": "ship"}]}),
            ),
            command("k2", json!({})),
        ];
        let new = [
            command(
                "k1",
                json!({"lines": [{"gl_account_no": "4000"}, {"gl_account_no": "4000"}]}),
            ),
            command("k3", json!({})),
        ];
        let changes = commands(&old, &new);
        assert_eq!(changes.len(), 3, "{changes:?}");
        assert_eq!(changes[0].change, Change::Changed);
        assert_eq!(
            changes[0].differences,
            [
                Difference {
                    path: "lines[1].gl_account_no".into(),
                    before: Some(json!("4100")),
                    after: Some(json!("4000")),
                },
                Difference {
                    path: "lines[1].memo".into(),
                    before: Some(json!("ship")),
                    after: None,
                },
            ]
        );
        assert_eq!(
            (changes[1].key.as_str(), changes[1].change),
            ("k2", Change::Removed)
        );
        assert_eq!(
            (changes[2].key.as_str(), changes[2].change),
            ("k3", Change::Added)
        );
    }
}
