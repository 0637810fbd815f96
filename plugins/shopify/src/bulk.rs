//! Shopify's bulk operations, as the history runs them: [`start`] a bulk query
//! (`bulkOperationRunQuery`, 10 points; the operation itself is not charged to the bucket), ask
//! for its [`status`] by its id (`node(id:)`: the latest operation, `currentBulkOperation`, may be
//! another's by then), and [`read`] its JSONL file in parts.
//!
//! Shopify runs one bulk query of an app on a shop at a time: another running is `Transient`
//! (the history can start when it ends). An operation that ends `FAILED` (with its `errorCode`),
//! `CANCELED`, `CANCELING` or `EXPIRED` is `Transient` too: a new history starts a new one.
//!
//! The file is read with HTTP `Range` requests, without the access token (the `url` is signed, on
//! Google Cloud Storage: `https://storage.googleapis.com` must be on the connection's `allow`
//! list), [`READ_BYTES`] at most a request, under the host's limit on a response's size.

use ml_connector_sdk::PluginError;
use ml_connector_sdk::http::{self, Request};
use serde_json::{Value, json};

use crate::graphql::Client;
use crate::ids;
use crate::queries::{BULK_OPERATION, RUN_BULK_QUERY};
use crate::wire::{BulkOperationData, RunBulkQueryData};

/// The most bytes of the file read at once.
pub const READ_BYTES: u64 = 4 << 20;

/// A file part may take a while to come from cloud storage.
const READ_TIMEOUT_MS: u32 = 30_000;

/// Where a bulk operation is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// `CREATED` or `RUNNING`.
    Running,
    /// `COMPLETED`: its file, `size` bytes at `url`; none when nothing matched.
    Completed(Option<File>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub url: String,
    pub size: u64,
}

/// Starts the bulk query `query`; its operation's global id.
pub fn start(client: &mut Client, query: &str) -> Result<String, PluginError> {
    let data: RunBulkQueryData = client.query(RUN_BULK_QUERY, json!({ "query": query }))?;
    let run = data.bulk_operation_run_query;
    if let Some(error) = run.user_errors.first() {
        let message = format!("Shopify did not start the bulk query: {}", error.message);
        return Err(match error.code.as_deref() {
            Some("OPERATION_IN_PROGRESS") => PluginError::transient(message),
            _ => PluginError::rejected(message),
        });
    }
    run.bulk_operation
        .map(|operation| operation.id)
        .ok_or_else(|| PluginError::transient("Shopify started no bulk query and said nothing"))
}

/// Where the operation `gid` is.
pub fn status(client: &mut Client, gid: &str) -> Result<State, PluginError> {
    let data: BulkOperationData = client.query(BULK_OPERATION, json!({ "id": gid }))?;
    let operation = data
        .node
        .ok_or_else(|| PluginError::transient(format!("Shopify has no bulk operation {gid}")))?;
    match operation.status.as_str() {
        "CREATED" | "RUNNING" => Ok(State::Running),
        "COMPLETED" => {
            let objects = count(&operation.object_count, "objectCount")?;
            match (operation.url, objects) {
                (None, 0) => Ok(State::Completed(None)),
                (None, _) => Err(PluginError::transient(format!(
                    "Shopify's bulk operation {gid} completed with {objects} objects but no file"
                ))),
                (Some(url), _) => {
                    let size = operation.file_size.as_ref().ok_or_else(|| {
                        PluginError::transient(format!(
                            "Shopify's bulk operation {gid} gave no fileSize"
                        ))
                    })?;
                    Ok(State::Completed(Some(File {
                        url,
                        size: count(size, "fileSize")?,
                    })))
                }
            }
        }
        other => Err(PluginError::transient(format!(
            "Shopify's bulk operation {gid} ended {other}{}; the history starts again with a \
             new one",
            operation
                .error_code
                .map(|code| format!(" ({code})"))
                .unwrap_or_default()
        ))),
    }
}

/// Up to [`READ_BYTES`] of `file` from byte `offset`.
pub fn read(file: &File, offset: u64) -> Result<Vec<u8>, PluginError> {
    let last = (offset + READ_BYTES).min(file.size) - 1;
    let request = Request::get(&file.url)
        .header("Range", format!("bytes={offset}-{last}"))
        .timeout_ms(READ_TIMEOUT_MS);
    let response = http::send_checked(&request)?;
    let mut body = response.body;
    if response.status == 200 {
        // The whole file: the server ignored the range.
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(body.len());
        let end = usize::try_from(last + 1)
            .unwrap_or(usize::MAX)
            .min(body.len());
        body = body[start..end].to_vec();
    }
    Ok(body)
}

/// An `UnsignedInt64` (a string, or a number).
fn count(value: &Value, what: &str) -> Result<u64, PluginError> {
    ids::from_json(value)
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(|| PluginError::transient(format!("Shopify gave {what} {value}")))
}
