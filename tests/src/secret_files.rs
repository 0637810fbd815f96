//! The secret files of a simulated setup's config: `dir/secrets/<name>`, readable by their owner
//! only (the directory 0700, each file 0600), as a real deployment keeps them.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use anyhow::Context;

/// Writes each `(name, value)` into `dir/secrets/name`, replacing what is there.
pub fn write(dir: &Path, secrets: &[(&str, &str)]) -> anyhow::Result<()> {
    let secrets_dir = dir.join("secrets");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&secrets_dir)
        .with_context(|| format!("creating {}", secrets_dir.display()))?;
    for (name, value) in secrets {
        let path = secrets_dir.join(name);
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut file| file.write_all(value.as_bytes()))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn secret_files_are_readable_by_their_owner_only() {
        let dir = std::env::temp_dir().join(format!("sim-secrets-{}", std::process::id()));
        super::write(&dir, &[("token", "s3cret")]).unwrap();
        let mode =
            |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join("secrets")), 0o700);
        assert_eq!(mode(&dir.join("secrets/token")), 0o600);
        assert_eq!(
            std::fs::read_to_string(dir.join("secrets/token")).unwrap(),
            "s3cret"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
