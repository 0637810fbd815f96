//! Conversions between the SDK's plain types and the wit-bindgen generated ones.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::bindings::connector::ml_connector::plugin::types as wit;
use crate::{
    Applied, Command, Entity, Event, InboundRequest, PluginError, PluginInfo, PollResult,
    VerifyError,
};

impl From<PluginInfo> for wit::PluginInfo {
    fn from(info: PluginInfo) -> Self {
        Self {
            name: info.name,
            version: info.version,
            description: info.description,
            topics: info.topics,
            commands: info.commands,
        }
    }
}

impl From<PluginError> for wit::PluginError {
    fn from(error: PluginError) -> Self {
        match error {
            PluginError::Transient(message) => Self::Transient(message),
            PluginError::RateLimited {
                retry_after_ms,
                message,
            } => Self::RateLimited(wit::RateLimit {
                retry_after_ms,
                message,
            }),
            PluginError::Auth(message) => Self::Auth(message),
            PluginError::Rejected { code, message } => {
                Self::Rejected(wit::Rejection { code, message })
            }
            PluginError::NeedsReview(message) => Self::NeedsReview(message),
        }
    }
}

impl From<VerifyError> for wit::VerifyError {
    fn from(error: VerifyError) -> Self {
        match error {
            VerifyError::Unauthorized(message) => Self::Unauthorized(message),
            VerifyError::Malformed(message) => Self::Malformed(message),
        }
    }
}

impl From<wit::InboundRequest> for InboundRequest {
    fn from(request: wit::InboundRequest) -> Self {
        Self {
            method: request.method,
            path: request.path,
            query: request.query,
            headers: request.headers,
            body: request.body,
        }
    }
}

impl From<wit::Event> for Event {
    fn from(event: wit::Event) -> Self {
        Self {
            key: event.key,
            topic: event.topic,
            reference: event.reference,
            occurred_at: event
                .occurred_at
                .and_then(|text| DateTime::parse_from_rfc3339(&text).ok())
                .map(|time| time.with_timezone(&Utc)),
            payload: event.payload,
        }
    }
}

impl From<Event> for wit::Event {
    fn from(event: Event) -> Self {
        Self {
            key: event.key,
            topic: event.topic,
            reference: event.reference,
            occurred_at: event
                .occurred_at
                .map(|time| time.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            payload: event.payload,
        }
    }
}

impl From<wit::Entity> for Entity {
    fn from(entity: wit::Entity) -> Self {
        Self {
            kind: entity.kind,
            id: entity.id,
            body: entity.body,
        }
    }
}

impl From<Entity> for wit::Entity {
    fn from(entity: Entity) -> Self {
        Self {
            kind: entity.kind,
            id: entity.id,
            body: entity.body,
        }
    }
}

impl From<wit::Command> for Command {
    fn from(command: wit::Command) -> Self {
        Self {
            kind: command.kind,
            key: command.key,
            body: command.body,
        }
    }
}

impl From<Command> for wit::Command {
    fn from(command: Command) -> Self {
        Self {
            kind: command.kind,
            key: command.key,
            body: command.body,
        }
    }
}

impl From<Applied> for wit::Applied {
    fn from(applied: Applied) -> Self {
        Self {
            key: applied.key,
            external_ids: applied.external_ids,
            already_done: applied.already_done,
            data: applied.data,
        }
    }
}

impl From<PollResult> for wit::PollResult {
    fn from(result: PollResult) -> Self {
        Self {
            events: result.events.into_iter().map(Into::into).collect(),
            cursor: result.cursor,
            more: result.more,
        }
    }
}
