//! Where an event stands in its flow, and the words the CLI, the admin API and the database use
//! for it.

use std::fmt;
use std::str::FromStr;

/// The life of an event: `pending` → `running` → `done` | `retry` (→ `running` again) |
/// `review` (a person decides) | `failed` (permanent, or out of attempts) | `skipped` (a person
/// decided not to post it). `replay` puts a finished event back to `pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Running,
    Retry,
    Done,
    Review,
    Failed,
    Skipped,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Pending,
        Status::Running,
        Status::Retry,
        Status::Done,
        Status::Review,
        Status::Failed,
        Status::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Retry => "retry",
            Status::Done => "done",
            Status::Review => "review",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }

    /// Whether the engine has finished with it until a person acts.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            Status::Done | Status::Review | Status::Failed | Status::Skipped
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| {
                let known: Vec<&str> = Status::ALL.iter().map(|status| status.as_str()).collect();
                format!("unknown status `{text}` (one of: {})", known.join(", "))
            })
    }
}
