//! `mlc` as a child process, for the tests that need a real process: crash, SIGTERM, the CLI.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `mlc run` in the background, its stderr collected line by line.
pub struct MlcRun {
    pub child: Child,
    pub base: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl MlcRun {
    /// Starts `mlc run --config <config>` and waits until it serves.
    pub fn start(config: &Path) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mlc"));
        command.args(["--config", config.to_str().unwrap(), "run"]);
        Self::spawn(command)
    }

    /// Starts `command`, an `mlc run` however invoked, and waits until it serves.
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting mlc run");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let lines = stderr.clone();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let mut run = Self {
            child,
            base: String::new(),
            stderr,
        };
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

    /// Waits for a stderr line containing `text` and returns it.
    pub fn wait_for_line(&mut self, text: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            if let Some(line) = self
                .stderr
                .lock()
                .unwrap()
                .iter()
                .find(|line| line.contains(text))
            {
                return line.clone();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "mlc run exited ({status}) before printing {text:?}: {}",
                    self.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "mlc run did not print {text:?}: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// Sends SIGTERM (through the shell's `kill`, present wherever `sh` is).
    pub fn terminate(&self) {
        let sent = Command::new("sh")
            .args(["-c", &format!("kill -TERM {}", self.child.id())])
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
