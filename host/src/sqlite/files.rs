//! Database files are private to the user running the host: they hold live credentials (plugin
//! storage keeps Shopify tokens and Intacct sessions) and every event's payload. A new database
//! file is created 0600 before SQLite opens it, and directories made for it 0700; SQLite gives
//! the `-wal` and `-shm` files it creates beside a database the mode of the database file.
//! Existing files and directories keep the mode they have.

use std::fs::{DirBuilder, OpenOptions};
use std::io::ErrorKind;
use std::path::Path;

use super::SqliteError;

/// Makes sure the file at `path` exists; if it did not, it is created 0600 and the missing
/// directories above it 0700.
pub(super) fn create_private(path: &Path) -> Result<(), SqliteError> {
    let failed = |at: &Path| {
        let at = at.to_owned();
        move |source| SqliteError::Create { path: at, source }
    };
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        let mut builder = DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(failed(dir))?;
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Err(error) if error.kind() != ErrorKind::AlreadyExists => Err(failed(path)(error)),
        _ => Ok(()),
    }
}
