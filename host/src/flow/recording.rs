//! What an attempt's mapping was given and what it answered, kept whole: the records the source
//! fetched, the mapping's config and settings, and its commands (or its refusal); and the tape of
//! the fetch, what the source connector received from the host ([`crate::tape`]). With it, a
//! candidate mapping can be run over real history without calling any system (`dry_run`), and the
//! fetch and map replayed with no network (`replay`). The tape of the sink's `apply` is its
//! batch's ([`ApplyTape`]), kept once for all the events the batch carried. The
//! inbox stores each part as a content-addressed, compressed blob, so a config or a record that
//! many attempts saw costs its bytes once; `[recording]` bounds what is kept by age and size.
//!
//! A mapping gets no HTTP, no secrets and no storage, and reads only its settings and the
//! host's clock: what is kept here is all it saw, apart from the clock.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bindings::types::{Command, Entity, PluginError};
use crate::error::CallError;
use crate::plugin::PluginSummary;
use crate::tape::Received;

/// One recorded attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    /// The mapping version that ran.
    pub mapping: RecordedPlugin,
    pub records: Vec<RecordedEntity>,
    /// The config `map` was given (JSON text, with a person's resolution when there was one).
    pub config: String,
    /// The flow's settings the mapping's `config` import read from.
    pub settings: BTreeMap<String, String>,
    pub answer: MappingAnswer,
    /// The fetch that gave `records`.
    pub fetch: FetchTape,
}

/// A sink connector's `apply` of the batch that carried an attempt's commands, taped: the same
/// for every event of the batch, and so stored once for all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyTape {
    pub connector: RecordedPlugin,
    pub connection: String,
    /// The whole batch's commands, in the order they were applied.
    pub commands: Vec<RecordedCommand>,
    pub received: Vec<Received>,
}

/// A source connector's `fetch`, taped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchTape {
    pub connector: RecordedPlugin,
    /// The connection it ran on.
    pub connection: String,
    pub received: Vec<Received>,
}

/// A plugin version, as the audit trail names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedPlugin {
    pub name: String,
    pub version: String,
    pub hash: String,
}

impl From<&PluginSummary> for RecordedPlugin {
    fn from(summary: &PluginSummary) -> Self {
        Self {
            name: summary.name.clone(),
            version: summary.version.clone(),
            hash: summary.hash.clone(),
        }
    }
}

/// A record as the source connector returned it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedEntity {
    pub kind: String,
    pub id: String,
    pub body: String,
}

impl From<&Entity> for RecordedEntity {
    fn from(entity: &Entity) -> Self {
        Self {
            kind: entity.kind.clone(),
            id: entity.id.clone(),
            body: entity.body.clone(),
        }
    }
}

impl RecordedEntity {
    /// The record as a mapping takes it.
    pub(crate) fn to_entity(&self) -> Entity {
        Entity {
            kind: self.kind.clone(),
            id: self.id.clone(),
            body: self.body.clone(),
        }
    }
}

/// A command as the mapping produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedCommand {
    pub kind: String,
    pub key: String,
    pub body: String,
}

impl From<&Command> for RecordedCommand {
    fn from(command: &Command) -> Self {
        Self {
            kind: command.kind.clone(),
            key: command.key.clone(),
            body: command.body.clone(),
        }
    }
}

impl RecordedCommand {
    /// A command of `kind` with `body`, keyed `k`: for tests.
    #[cfg(test)]
    pub(crate) fn of(kind: &str, body: serde_json::Value) -> Self {
        Self {
            kind: kind.into(),
            key: "k".into(),
            body: body.to_string(),
        }
    }

    /// The command as a connector takes it.
    pub(crate) fn to_command(&self) -> Command {
        Command {
            kind: self.kind.clone(),
            key: self.key.clone(),
            body: self.body.clone(),
        }
    }
}

/// What a mapping answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum MappingAnswer {
    Commands {
        commands: Vec<RecordedCommand>,
    },
    /// It asked for a person's decision.
    Review {
        reason: String,
    },
    /// It refused, trapped or broke the contract.
    Failed {
        error: String,
    },
}

impl MappingAnswer {
    /// The answer of a `map` call.
    pub fn of(result: &Result<Vec<Command>, CallError>) -> Self {
        match result {
            Ok(commands) => Self::Commands {
                commands: commands.iter().map(RecordedCommand::from).collect(),
            },
            Err(CallError::Plugin {
                error: PluginError::NeedsReview(reason),
                ..
            }) => Self::Review {
                reason: reason.clone(),
            },
            Err(error) => Self::Failed {
                error: error.to_string(),
            },
        }
    }
}
