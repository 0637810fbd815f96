//! The `mlc` binary as a person runs it: `--help` lists the subcommands, `mlc plugins` lists the
//! built plugins, and a missing plugin directory gets a message that says what to do.

mod support;

use std::process::Command;

fn mlc(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_mlc"))
        .args(args)
        .output()
        .expect("running mlc");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn help_lists_the_subcommands() {
    let (ok, stdout, _) = mlc(&["--help"]);
    assert!(ok);
    for subcommand in ["plugins", "plugin", "demo"] {
        assert!(
            stdout
                .lines()
                .any(|line| line.trim_start().starts_with(subcommand)),
            "{stdout}"
        );
    }
}

#[test]
fn plugins_lists_name_version_world_and_capabilities() {
    let dir = support::plugin_dir().to_str().unwrap();
    let (ok, stdout, stderr) = mlc(&["plugins", "--plugins", dir]);
    assert!(ok, "{stderr}");
    let row = |name: &str| {
        stdout
            .lines()
            .find(|line| line.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row for {name}: {stdout}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let testkit = row("testkit");
    assert_eq!(testkit[1..3], ["0.1.0", "connector"]);
    assert!(
        testkit.iter().any(|cell| cell.starts_with("secrets")),
        "{testkit:?}"
    );
    assert_eq!(
        row("testkit-mapping")[1..5],
        ["0.1.0", "mapping", "log,", "config"]
    );
}

#[test]
fn an_empty_plugin_directory_says_how_to_build() {
    let empty = std::env::temp_dir().join(format!("mlc-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let (ok, _, stderr) = mlc(&["plugins", "--plugins", empty.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        stderr.contains("build them with `mlc plugin build`"),
        "{stderr}"
    );
    let (ok, _, stderr) = mlc(&["plugins", "--plugins", "/nonexistent/plugins"]);
    assert!(!ok);
    assert!(
        stderr.contains("cannot read the plugin directory /nonexistent/plugins"),
        "{stderr}"
    );
}
