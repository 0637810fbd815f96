//! `mlc` as a child process, for the tests that need a real process: crash, SIGTERM, the CLI,
//! the playground.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `mlc run` (or `mlc demo --serve`) in the background, its stdout and stderr collected line by
/// line.
pub struct MlcRun {
    pub child: Child,
    pub base: String,
    stdout: Lines,
    stderr: Lines,
}

impl MlcRun {
    /// Starts `mlc run --config <config>` and waits until it serves.
    pub fn start(config: &Path) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mlc"));
        command.args(["--config", config.to_str().unwrap(), "run"]);
        Self::spawn(command)
    }

    /// Starts `command`, an `mlc run` however invoked, and waits until it serves.
    pub fn spawn(command: Command) -> Self {
        let mut run = Self::launch(command);
        let line = run.wait_for_line("webhooks at http://", Duration::from_secs(60));
        let address = line
            .split("webhooks at ")
            .nth(1)
            .unwrap()
            .split("/webhooks")
            .next()
            .unwrap();
        run.base = address.to_owned();
        run
    }

    /// Starts `command`, an `mlc sim start` however invoked, and waits until its simulators
    /// serve (the first one builds the plugins: minutes).
    pub fn playground(command: Command) -> Self {
        let mut run = Self::launch(command);
        run.wait_for_in(
            Stream::Stdout,
            "serving the simulators until Ctrl-C",
            Duration::from_secs(900),
        );
        run
    }

    /// Starts `mlc demo --serve` in the workspace with the plugins of `plugin_dir`, and waits
    /// until the demo is over and its host serves on (`base` is the host's address).
    pub fn demo_serving(plugin_dir: &Path) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mlc"));
        command
            .args(["demo", "--serve", "--plugins", plugin_dir.to_str().unwrap()])
            .current_dir(support::workspace_root());
        let mut run = Self::launch(command);
        run.wait_for_in(Stream::Stdout, "until Ctrl-C", Duration::from_secs(900));
        let metrics = run.wait_for_in(Stream::Stdout, "metrics   http://", Duration::ZERO);
        let url = metrics.split_whitespace().nth(1).unwrap();
        run.base = url.trim_end_matches("/metrics").to_owned();
        run
    }

    fn launch(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting mlc");
        let stdout = Lines::collect(child.stdout.take().unwrap());
        let stderr = Lines::collect(child.stderr.take().unwrap());
        Self {
            child,
            base: String::new(),
            stdout,
            stderr,
        }
    }

    /// Waits for a stderr line containing `text` and returns it.
    pub fn wait_for_line(&mut self, text: &str, within: Duration) -> String {
        self.wait_for_in(Stream::Stderr, text, within)
    }

    /// Waits for a line of `stream` containing `text` and returns it.
    pub fn wait_for_in(&mut self, stream: Stream, text: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        let lines = match stream {
            Stream::Stdout => self.stdout.clone(),
            Stream::Stderr => self.stderr.clone(),
        };
        loop {
            if let Some(line) = lines.find(text) {
                return line;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "mlc exited ({status}) before printing {text:?}: {}\n{}",
                    self.stdout(),
                    self.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "mlc did not print {text:?}: {}\n{}",
                self.stdout(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stdout(&self) -> String {
        self.stdout.text()
    }

    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    /// Sends SIGTERM (through the shell's `kill`, present wherever `sh` is).
    pub fn terminate(&self) {
        self.signal("TERM");
    }

    /// Sends SIGINT, as Ctrl-C in a terminal does.
    pub fn interrupt(&self) {
        self.signal("INT");
    }

    /// Sends SIGSTOP: the process stops where it is, its connections left open.
    pub fn pause(&self) {
        self.signal("STOP");
    }

    /// Sends SIGCONT: a paused process goes on.
    pub fn resume(&self) {
        self.signal("CONT");
    }

    fn signal(&self, name: &str) {
        let sent = Command::new("sh")
            .args(["-c", &format!("kill -{name} {}", self.child.id())])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Waits for the process to exit.
    pub fn wait(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "mlc run did not exit: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// One of a child's output pipes.
pub enum Stream {
    Stdout,
    Stderr,
}

/// The lines a child writes to one pipe, collected by a thread as they come.
#[derive(Clone)]
struct Lines(Arc<Mutex<Vec<String>>>);

impl Lines {
    fn collect(pipe: impl Read + Send + 'static) -> Self {
        let lines = Self(Arc::default());
        let collected = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                collected.0.lock().unwrap().push(line);
            }
        });
        lines
    }

    fn find(&self, text: &str) -> Option<String> {
        let lines = self.0.lock().unwrap();
        lines.iter().find(|line| line.contains(text)).cloned()
    }

    fn text(&self) -> String {
        self.0.lock().unwrap().join("\n")
    }
}

impl Drop for MlcRun {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `mlc --config <config> <args>` to completion.
pub fn mlc(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlc"))
        .args(["--config", config.to_str().unwrap()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running mlc")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
