//! The guide `sdk/GUIDE.md`, followed as written so that it cannot drift from the product. The
//! test reads the guide's fenced blocks in order and does what each one's info string says (the
//! table at the end of the guide) in a scratch directory holding an `mlc.toml` for the Shopify and
//! Intacct simulators, with the `mlc` under test first on `PATH`. Then it checks the invoice the
//! guide's own mapping posted in the simulated Intacct company, to the cent, and what `mlc plugin
//! list` and `mlc events show` said. It also checks that `mlc plugin new` refuses bad input and
//! writes nothing then.
//!
//! The guide's cargo steps build with `CARGO_TARGET_DIR` under the workspace's `target/guide`, so
//! the new crate's dependencies compile once, not once per run.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::process::{MlcRun, text};
use crate::shop_invoice::{check_invoice, place_order, write_deployment};
use simulators::shopify_intacct::{ShopifyIntacct, demo_configs};
use support::flows::scratch;

/// The plugin and flow the guide makes.
const PLUGIN: &str = "acme-invoices";
const FLOW: &str = "web-invoices";

/// One fenced block of the guide that the test acts on.
#[derive(Debug)]
enum Step {
    /// `sh`: shell commands.
    Shell(String),
    /// `sh serve`: a server to start in the background.
    Serve(String),
    /// `text files`: the files of the new crate, a path first on each line.
    Files(String),
    /// `diff`: a change to a file of the crate.
    Edit(String),
    /// `toml flow`: a flow to add to mlc.toml.
    Flow(String),
}

fn guide() -> String {
    let path = support::workspace_root().join("sdk/GUIDE.md");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The guide's blocks in order, their text unindented. Blocks of other kinds (`rust`, plain
/// `text`, `sh prerequisite`) are for the reader only; an unknown role is a mistake.
fn steps(guide: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut lines = guide.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let indent = line.len() - line.trim_start().len();
        let body: String = lines
            .by_ref()
            .take_while(|line| line.trim_start() != "```")
            .map(|line| format!("{}\n", line.get(indent..).unwrap_or(line.trim_start())))
            .collect();
        let step = match info.trim() {
            "sh" => Step::Shell(body),
            "sh serve" => Step::Serve(body),
            "text files" => Step::Files(body),
            "diff" => Step::Edit(body),
            "toml flow" => Step::Flow(body),
            "sh prerequisite" => continue,
            other if other.contains(' ') => {
                panic!("the guide has a block `{other}` this test does not know")
            }
            _ => continue,
        };
        steps.push(step);
    }
    steps
}

/// A shell session in the scratch directory: the environment of the guide's reader (the `mlc`
/// under test first on `PATH`, the shared cargo target directory), and the directory the last
/// block `cd`-ed to.
struct Session {
    dir: PathBuf,
    /// Where each block leaves its working directory.
    pwd_file: PathBuf,
    path: OsString,
    target_dir: PathBuf,
}

impl Session {
    fn new(dir: &Path) -> Self {
        let mlc = Path::new(env!("CARGO_BIN_EXE_mlc"));
        let mut paths = vec![mlc.parent().unwrap().to_path_buf()];
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        Self {
            dir: dir.to_path_buf(),
            pwd_file: dir.join(".guide-pwd"),
            path: std::env::join_paths(paths).unwrap(),
            target_dir: guide_target_dir(),
        }
    }

    /// `sh -ec <script>` as the reader would run it. What the outer `cargo test` set for this
    /// test process (`CARGO_*`, `MLC_CONFIG`) is removed; cargo's home and network settings stay.
    fn shell(&self, script: &str) -> Command {
        let mut command = Command::new("sh");
        command.arg("-ec").arg(script).current_dir(&self.dir);
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            let kept = ["CARGO_HOME", "CARGO_NET_", "CARGO_HTTP_", "CARGO_REGISTR"]
                .iter()
                .any(|prefix| name.starts_with(prefix));
            if (name.starts_with("CARGO") && !kept) || name == "MLC_CONFIG" {
                command.env_remove(name.as_ref());
            }
        }
        command
            .env("PATH", &self.path)
            .env("CARGO_TARGET_DIR", &self.target_dir);
        command
    }

    /// Runs a block to its end; it must succeed. Returns its output.
    fn run(&mut self, script: &str) -> String {
        let script = format!("{script}pwd > '{}'\n", self.pwd_file.display());
        let output = self.shell(&script).output().expect("running sh");
        assert!(
            output.status.success(),
            "the guide's step failed ({}):\n{script}\nstdout:\n{}\nstderr:\n{}",
            output.status,
            text(&output.stdout),
            text(&output.stderr)
        );
        let pwd = std::fs::read_to_string(&self.pwd_file).expect("the step's directory");
        self.dir = PathBuf::from(pwd.trim());
        format!("{}{}", text(&output.stdout), text(&output.stderr))
    }

    /// Starts a block in the background (`exec`, so that stopping it stops the server).
    fn serve(&self, script: &str) -> MlcRun {
        MlcRun::spawn(self.shell(&format!("exec {}", script.trim())))
    }
}

/// The guide's cargo target directory. `mlc plugin build` builds in its `plugin-build`, which is
/// linked to the workspace's own plugin build, so the standard library built for wasm (minutes on
/// the Debian route) and the shared dependencies are reused. Without the link the build still
/// works, in a directory of its own.
pub fn guide_target_dir() -> PathBuf {
    let dir = support::workspace_root().join("target/guide");
    std::fs::create_dir_all(&dir).unwrap();
    #[cfg(unix)]
    {
        let shared = support::workspace_root().join("target/plugin-build");
        if std::fs::create_dir_all(&shared).is_ok() {
            let _ = std::os::unix::fs::symlink(&shared, dir.join("plugin-build"));
        }
    }
    dir
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    let mut files = BTreeSet::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            match path.is_dir() {
                true => pending.push(path),
                false => {
                    files.insert(path.strip_prefix(dir).unwrap().to_path_buf());
                }
            }
        }
    }
    files
}

/// Applies a one-file unified diff under `dir`, as `patch` would with no fuzz: each hunk's old
/// text (context and `-` lines) occurs exactly once in the file, at the line its header says, and
/// the header's counts are right.
fn apply_diff(dir: &Path, diff: &str) {
    let file = diff
        .lines()
        .find_map(|line| line.strip_prefix("+++ b/"))
        .expect("the diff names its file with `+++ b/PATH`");
    let mut hunks: Vec<(&str, Vec<&str>)> = Vec::new();
    for line in diff.lines() {
        match hunks.last_mut() {
            _ if line.starts_with("@@") => hunks.push((line, Vec::new())),
            Some((_, lines)) => lines.push(line),
            None => {}
        }
    }
    assert!(!hunks.is_empty(), "the guide's diff has no hunks");
    let path = dir.join(file);
    let mut text = std::fs::read_to_string(&path).unwrap();
    let mut shift = 0_isize;
    for (header, lines) in hunks {
        let side = |left_out: char| -> String {
            lines
                .iter()
                .filter(|line| !line.starts_with(left_out))
                .map(|line| format!("{}\n", line.get(1..).unwrap_or("")))
                .collect()
        };
        let (old, new) = (side('+'), side('-'));
        let at = match text.match_indices(&old).collect::<Vec<_>>()[..] {
            [(at, _)] => at,
            _ => panic!("a hunk of the guide's diff does not fit {file} once:\n{old}"),
        };
        let line = text[..at].matches('\n').count() + 1;
        let (old_start, new_start) = (line as isize - shift, line);
        let expected = format!(
            "@@ -{old_start},{} +{new_start},{} @@",
            old.lines().count(),
            new.lines().count()
        );
        assert_eq!(
            header, expected,
            "the hunk's header, for its text in {file}"
        );
        shift += new.lines().count() as isize - old.lines().count() as isize;
        text = text.replacen(&old, &new, 1);
    }
    std::fs::write(&path, text).unwrap();
}

/// The output of the guide's shell block that runs `command`.
fn output_of<'a>(outputs: &'a [(String, String)], command: &str) -> &'a str {
    outputs
        .iter()
        .find(|(script, _)| script.contains(command))
        .map(|(_, output)| output.as_str())
        .unwrap_or_else(|| panic!("the guide has no step running `{command}`"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_guide_takes_a_new_mapping_from_nothing_to_posted_invoices() {
    let started = std::time::Instant::now();
    let steps = steps(&guide());
    let (shopify, intacct) = demo_configs();
    let sims = ShopifyIntacct::start(shopify, intacct)
        .await
        .expect("the simulators start");
    let dir = scratch("guide");
    let config = write_deployment(&sims, &dir);
    let mut session = Session::new(&dir);
    let mut outputs = Vec::new();
    let mut served = None;
    let mut ordered = None;

    for step in &steps {
        match step {
            Step::Shell(script) => {
                let output = session.run(script);
                outputs.push((script.clone(), output));
            }
            Step::Files(listing) => {
                let listed: BTreeSet<PathBuf> = listing
                    .lines()
                    .filter_map(|line| line.split_whitespace().next())
                    .map(PathBuf::from)
                    .collect();
                assert_eq!(files_under(&session.dir), listed, "the crate's files");
            }
            Step::Edit(diff) => apply_diff(&session.dir, diff),
            Step::Flow(flow) => {
                let mut text = std::fs::read_to_string(&config).unwrap();
                text.push_str(&format!("\n{flow}"));
                std::fs::write(&config, text).unwrap();
            }
            Step::Serve(script) => {
                let run = session.serve(script);
                sims.subscribe(&run.base);
                let order = place_order(&sims);
                check_invoice(&sims, &config, &order, FLOW, Some("SALES")).await;
                served = Some(run);
                ordered = Some(order);
            }
        }
    }

    let order = ordered.expect("the guide serves the flow (a `sh serve` block)");
    let list = output_of(&outputs, "mlc plugin list");
    assert!(
        list.lines()
            .any(|line| line.contains(PLUGIN) && line.contains("0.1.0")),
        "`mlc plugin list` shows the installed mapping:\n{list}"
    );
    let show = output_of(&outputs, "mlc events show");
    assert!(
        show.lines().any(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            words.get(1) == Some(&"map") && line.contains(&format!("{PLUGIN} 0.1.0 ("))
        }),
        "the audit trail's map step names the plugin and its version:\n{show}"
    );
    let key = format!("{PLUGIN}/order/{}/invoice", order.id);
    assert!(
        show.contains(&format!("command intacct.create-invoice key {key}")),
        "the audit trail shows the command:\n{show}"
    );
    drop(served);
    eprintln!("the guide took {:.1?}", started.elapsed());
}

/// `mlc plugin new NAME [--dir DIR] [--sdk DIR]` in `dir`.
fn plugin_new(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlc"))
        .args(["plugin", "new", "mapping"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running mlc")
}

/// It fails, says `expected` on stderr, and leaves the files of `dir` as they were.
fn assert_refused(dir: &Path, args: &[&str], expected: &str) {
    let before = files_under(dir);
    let output = plugin_new(dir, args);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{args:?} succeeded");
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
    assert_eq!(files_under(dir), before, "{args:?} wrote something");
    assert!(
        !dir.join(PLUGIN).exists(),
        "{args:?} made the crate's directory"
    );
}

#[test]
fn plugin_new_refuses_bad_input_and_writes_nothing() {
    let dir = scratch("guide-refusals");
    std::fs::create_dir(dir.join("busy")).unwrap();
    std::fs::write(dir.join("busy/notes.txt"), "mine").unwrap();

    assert_refused(
        &dir,
        &["Acme_Invoices"],
        "`Acme_Invoices` is not a plugin name: use lower-case letters and digits",
    );
    assert_refused(&dir, &["fn"], "`fn` is taken");
    assert_refused(
        &dir,
        &[PLUGIN, "--dir", "busy"],
        "busy exists and is not empty; choose another directory with --dir DIR",
    );
    assert_refused(
        &dir,
        &[PLUGIN, "--dir", "busy/notes.txt"],
        "busy/notes.txt exists and is not a directory",
    );
    assert_refused(&dir, &[PLUGIN, "--sdk", "nowhere"], "--sdk: nowhere:");
    assert_refused(
        &dir,
        &[PLUGIN, "--sdk", "busy"],
        "is not the ml-connector SDK",
    );

    std::fs::create_dir(dir.join("empty")).unwrap();
    let output = plugin_new(&dir, &[PLUGIN, "--dir", "empty"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let manifest = std::fs::read_to_string(dir.join("empty/Cargo.toml")).unwrap();
    assert!(
        manifest.contains(&format!("name = \"{PLUGIN}\"")),
        "{manifest}"
    );
    assert!(text(&output.stdout).contains("mlc plugin build"));
}
