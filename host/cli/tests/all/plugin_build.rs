//! `mlc plugin build` loads what it built as the host will: a plugin whose `describe` gives a
//! name outside the rule (a path here) is refused with the reason, and its component and
//! compiled code are removed, so `mlc run` never meets it in the plugin directory.

use std::process::Command;

use support::variant::build_variant_calling_itself;

#[test]
fn a_plugin_named_like_a_path_is_refused_at_build_and_removed() {
    // The library's build of the variant leaves its workspace; `mlc plugin build` builds it again
    // in the shared target directory, where cargo finds it up to date.
    let component = build_variant_calling_itself("testkit-peer", "0.1.3", "../../../tmp/x");
    let variant_workspace = component
        .parent()
        .and_then(|out| out.parent())
        .expect("<variant workspace>/out/<crate>.wasm");
    let out = support::flows::scratch("plugin-build-names").join("plugins");
    let output = Command::new(env!("CARGO_BIN_EXE_mlc"))
        .arg("plugin")
        .arg("build")
        .arg("--workspace")
        .arg(variant_workspace)
        .arg("--plugins")
        .arg(&out)
        .env(
            "CARGO_TARGET_DIR",
            support::workspace_root().join("target/plugin-build"),
        )
        .output()
        .expect("running mlc");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the build is refused:\n{stderr}");
    assert!(
        stderr.contains("plugin `testkit-peer-0-1-3-renamed` built, but the host would refuse its component (removed)")
            && stderr.contains("it names itself \"../../../tmp/x\": a plugin's name must be 1 to 64 ASCII letters, digits, `-` or `_`"),
        "{stderr}"
    );
    let left: Vec<_> = walk(&out);
    assert!(
        left.is_empty(),
        "nothing is left in the plugin directory: {left:?}"
    );
}

/// Every file under `dir`, at any depth.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .map(|entry| entry.expect("a directory entry").path())
        .flat_map(|path| match path.is_dir() {
            true => walk(&path),
            false => vec![path],
        })
        .collect()
}
