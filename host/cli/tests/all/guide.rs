//! The guide `sdk/GUIDE.md`, followed as written so that it cannot drift from the product: once
//! in each language the guide writes the mapping in (Rust, JavaScript, Python). The test reads
//! the guide's fenced blocks in order and does what each one's info string says (the table at the
//! end of the guide) in a scratch directory, with the `mlc` under test first on `PATH`: it starts
//! the playground (`mlc sim start`), makes, tests, builds and installs the mapping, serves the
//! flow, and places the order with `mlc sim`. Then it checks the invoice the guide's own mapping
//! posted in the simulated Intacct company, to the cent, through the playground's control
//! surface, and what `mlc plugin list`, `mlc events show` and `mlc sim ledger` said. It also
//! checks that `mlc plugin new` refuses bad input and writes nothing then.
//!
//! The guide's cargo steps build with `CARGO_TARGET_DIR` under the workspace's `target/guide`, so
//! the new crate's dependencies compile once, not once per run.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use mlc_host::config::Config;
use mlc_host::flow::{self, Status};
use rust_decimal::Decimal;
use serde_json::Value;
use simulators::playground::URL_FILE;
use support::flows::{scratch, wait_settled};

use crate::mapping_languages::ensure_languages;
use crate::playground::placed;
use crate::process::{MlcRun, text};

/// The plugin and flow the guide makes.
const PLUGIN: &str = "acme-invoices";
const FLOW: &str = "web-invoices";
/// How long the order's event may take, from the webhook to the invoice.
const SETTLE: Duration = Duration::from_secs(60);

/// A language the guide writes the mapping in: the tag of its own blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Language {
    Rust,
    JavaScript,
    Python,
}

impl Language {
    const ALL: [Language; 3] = [Self::Rust, Self::JavaScript, Self::Python];

    fn tag(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::JavaScript => "js",
            Self::Python => "python",
        }
    }
}

/// One fenced block of the guide that the test acts on.
#[derive(Debug)]
enum Step {
    /// `sh`: shell commands.
    Shell(String),
    /// `sh playground`: the playground to start in the background.
    Playground(String),
    /// `sh serve`: a server to start in the background.
    Serve(String),
    /// `text files`: the files of the new project, a path first on each line.
    Files(String),
    /// `diff`: a change to a file of the project.
    Edit(String),
    /// `toml flow`: a flow to add to mlc.toml.
    Flow(String),
}

fn guide() -> String {
    let path = support::workspace_root().join("sdk/GUIDE.md");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The guide's blocks for `language` in order, their text unindented: those without a language
/// tag and those tagged with this one. Blocks of other kinds (`rust`, plain `text`, `sh
/// prerequisite`) are for the reader only; an unknown role is a mistake.
fn steps(guide: &str, language: Language) -> Vec<Step> {
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
        let mut words: Vec<&str> = info.split_whitespace().collect();
        let tagged = Language::ALL
            .into_iter()
            .find(|other| words.len() > 1 && words.last() == Some(&other.tag()));
        if let Some(tagged) = tagged {
            words.pop();
            if tagged != language {
                continue;
            }
        }
        let step = match words[..] {
            ["sh"] => Step::Shell(body),
            ["sh", "playground"] => Step::Playground(body),
            ["sh", "serve"] => Step::Serve(body),
            ["text", "files"] => Step::Files(body),
            ["diff"] => Step::Edit(body),
            ["toml", "flow"] => Step::Flow(body),
            ["sh", "prerequisite"] => continue,
            [_, _, ..] => panic!("the guide has a block `{info}` this test does not know"),
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

    /// Starts the playground's block in the background, as `serve` does.
    fn playground(&self, script: &str) -> MlcRun {
        MlcRun::playground(self.shell(&format!("exec {}", script.trim())))
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

/// Follows the guide's blocks for `language` in a scratch directory of its own; checks what it
/// posted and printed.
async fn follow_the_guide(language: Language) {
    let started = std::time::Instant::now();
    if language != Language::Rust {
        ensure_languages();
    }
    let dir = scratch(&format!("guide-{}", language.tag()));
    let mut session = Session::new(&dir);
    let mut outputs = Vec::new();
    let mut background = Vec::new();
    let mut playground = None;

    for step in &steps(&guide(), language) {
        match step {
            Step::Shell(script) => {
                let output = session.run(script);
                if script.contains("mlc sim order") {
                    wait_for_the_event(&session.dir.join("mlc.toml")).await;
                }
                outputs.push((script.clone(), output));
            }
            Step::Playground(script) => {
                background.push(session.playground(script));
                playground = Some(dir.join("playground"));
            }
            Step::Serve(script) => background.push(session.serve(script)),
            Step::Files(listing) => {
                let listed: BTreeSet<PathBuf> = listing
                    .lines()
                    .filter_map(|line| line.split_whitespace().next())
                    .map(PathBuf::from)
                    .collect();
                assert_eq!(files_under(&session.dir), listed, "the project's files");
            }
            Step::Edit(diff) => apply_diff(&session.dir, diff),
            Step::Flow(flow) => {
                let config = session.dir.join("mlc.toml");
                let mut text = std::fs::read_to_string(&config).unwrap();
                text.push_str(&format!("\n{flow}"));
                std::fs::write(&config, text).unwrap();
            }
        }
    }

    let playground = playground.expect("the guide starts a playground (a `sh playground` block)");
    let order = output_of(&outputs, "mlc sim order");
    let (number, id, _) = placed(order);
    check_invoice(&playground, &number).await;
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
    let key = format!("{PLUGIN}/order/{id}/invoice");
    assert!(
        show.contains(&format!("command intacct.create-invoice key {key}")),
        "the audit trail shows the command:\n{show}"
    );
    let ledger = output_of(&outputs, "mlc sim ledger");
    assert!(
        ledger.contains("total 89.97 USD") && ledger.contains("department SALES"),
        "`mlc sim ledger` shows the invoice:\n{ledger}"
    );
    drop(background);
    eprintln!("the guide in {language:?} took {:.1?}", started.elapsed());
}

/// The flow's one event, from the order, is done.
async fn wait_for_the_event(config: &Path) {
    let config = Config::load(config).unwrap_or_else(|error| panic!("{error}"));
    let inbox = flow::open_inbox(&config).expect("the inbox");
    let rows = wait_settled(
        &inbox,
        1,
        &[Status::Done, Status::Failed, Status::Review],
        SETTLE,
    )
    .await;
    let summary: Vec<String> = rows.iter().map(|row| row.summary()).collect();
    assert!(
        rows.len() == 1 && rows[0].status == Status::Done && rows[0].flow == FLOW,
        "one event of {FLOW}, done: {summary:?}"
    );
}

/// The simulated company's books, read through the playground's control surface, hold exactly
/// the invoice the templates' mapping makes of the guide's order, with the guide's department.
async fn check_invoice(playground: &Path, number: &str) {
    let url = std::fs::read_to_string(playground.join(URL_FILE)).unwrap();
    let books: Value = reqwest::get(format!("{}/intacct/ledger", url.trim()))
        .await
        .and_then(|response| response.error_for_status())
        .expect("the playground's ledger")
        .json()
        .await
        .expect("the ledger is JSON");
    let invoices = books["invoices"].as_array().expect("a list of invoices");
    assert_eq!(invoices.len(), 1, "{books:#}");
    let invoice = &invoices[0];
    assert_eq!(invoice["customer_id"], "C-DEMO");
    assert_eq!(invoice["number"], number);
    assert_eq!(invoice["currency"], "USD");
    assert_eq!(amount(&invoice["total"]), d("89.97"));
    let lines: Vec<(&str, Decimal, &str, &str)> = invoice["lines"]
        .as_array()
        .expect("the invoice's lines")
        .iter()
        .map(|line| {
            (
                line["account"].as_str().unwrap_or_default(),
                amount(&line["amount"]),
                line["memo"].as_str().unwrap_or_default(),
                line["department"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("4000", d("45.00"), "2 × T-Shirt - Blue", "SALES"),
            ("4000", d("44.97"), "3 × Mug", "SALES"),
        ]
    );
    assert_eq!(amount(&books["balances"]["4000"]), d("-89.97"));
    assert_eq!(amount(&books["balances"]["1200"]), d("89.97"));
}

fn amount(value: &Value) -> Decimal {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("{value} is not a decimal string"))
}

fn d(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guide_in_rust_takes_a_new_mapping_from_nothing_to_a_posted_invoice() {
    follow_the_guide(Language::Rust).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guide_in_javascript_takes_a_new_mapping_from_nothing_to_a_posted_invoice() {
    follow_the_guide(Language::JavaScript).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guide_in_python_takes_a_new_mapping_from_nothing_to_a_posted_invoice() {
    follow_the_guide(Language::Python).await;
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
