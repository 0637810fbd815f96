//! Content-addressed, compressed parts of recordings: a part is stored once under the SHA-256 of
//! its bytes, zstd-compressed, however many recordings name it; parts no recording names any more
//! are removed with [`remove_unnamed`]. Hashing and compressing ([`Blob::of`]) happen where the
//! attempt ran, off the inbox's one writer thread.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::InboxError;

/// zstd's level: fast, and most of what the higher levels gain on JSON.
const LEVEL: i32 = 3;

/// A part hashed and compressed, ready to store: made where the attempt ran, so the inbox's one
/// writer only inserts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub hash: String,
    /// The length of the bytes before compression.
    pub(super) size: usize,
    /// The bytes compressed.
    pub(super) data: Vec<u8>,
}

impl Blob {
    pub fn of(bytes: &[u8]) -> Result<Self, InboxError> {
        let data = zstd::bulk::compress(bytes, LEVEL)
            .map_err(|error| InboxError(format!("cannot compress a recording: {error}")))?;
        Ok(Self {
            hash: hex::encode(Sha256::digest(bytes)),
            size: bytes.len(),
            data,
        })
    }
}

/// Stores `blob` unless a blob of that content is there (looked up first: a batch's apply tape
/// comes once per event of the batch, and is not handed to SQLite again each time).
pub(super) fn put(db: &Connection, blob: &Blob) -> Result<(), InboxError> {
    let known = db
        .prepare_cached("SELECT 1 FROM blobs WHERE hash = ?1")?
        .exists(params![blob.hash])?;
    if known {
        return Ok(());
    }
    db.prepare_cached("INSERT INTO blobs (hash, size, stored_size, data) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![
            blob.hash,
            blob.size as i64,
            blob.data.len() as i64,
            blob.data
        ])?;
    Ok(())
}

/// The bytes of blob `hash`, if it is stored.
pub(super) fn get(db: &Connection, hash: &str) -> Result<Option<Vec<u8>>, InboxError> {
    let found: Option<(i64, Vec<u8>)> = db
        .prepare_cached("SELECT size, data FROM blobs WHERE hash = ?1")?
        .query_row(params![hash], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    found
        .map(|(size, data)| decompress(hash, size, &data))
        .transpose()
}

/// The bytes of blob `hash`, stored as `data` compressed from `size` bytes.
pub(super) fn decompress(hash: &str, size: i64, data: &[u8]) -> Result<Vec<u8>, InboxError> {
    zstd::bulk::decompress(data, size.max(0) as usize)
        .map_err(|error| InboxError(format!("blob {hash} does not decompress: {error}")))
}

/// Removes the blobs no recording names; returns how many.
pub(super) fn remove_unnamed(db: &Connection) -> Result<usize, InboxError> {
    Ok(db.execute(
        "DELETE FROM blobs WHERE hash NOT IN
             (SELECT part.value FROM recordings, json_each(recordings.parts) AS part)",
        [],
    )?)
}

/// The bytes the blobs take on disk (compressed) and before compression.
pub(super) fn sizes(db: &Connection) -> Result<(u64, u64), InboxError> {
    Ok(db.query_row(
        "SELECT COALESCE(SUM(stored_size), 0), COALESCE(SUM(size), 0) FROM blobs",
        [],
        |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64)),
    )?)
}
