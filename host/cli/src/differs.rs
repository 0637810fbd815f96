//! The outcome that is not an error but must stop a pipeline: a candidate would post differently
//! (`mlc dry-run`, `mlc plugin install --dry-run`), a replay differs from its recording, a
//! reconciliation finds the books differ. `mlc` exits with status 2 for it, as `diff` does.

/// Something differs; the text says what.
#[derive(Debug)]
pub struct Differs(pub String);

impl std::fmt::Display for Differs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Differs {}
