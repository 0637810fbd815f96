//! A headless Chromium driven over WebDriver (fantoccini), for tests that use a page the way a
//! person would. Owns the browser's whole life: `tests/browser.sh` makes sure chromium and a
//! chromedriver of its major version are here (if not, the test fails loudly, never skips),
//! [`Browser::start`] runs chromedriver on a free port and opens a session on a fresh profile, and
//! [`Browser::close`] ends it. Dropping a `Browser`, as on a panic, kills chromedriver and every
//! chromium it started, so nothing outlives the test.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long chromedriver gets to report itself ready on `/status`.
const DRIVER_READY_WITHIN: Duration = Duration::from_secs(20);

/// A headless Chromium session and the chromedriver serving it.
pub struct Browser {
    client: Client,
    driver: Driver,
}

/// chromedriver in a process group of its own, and the profile its chromium uses. Dropping it
/// kills the group: a chromium outlives a chromedriver killed alone.
struct Driver {
    process: Child,
    profile: PathBuf,
}

impl Browser {
    /// Checks the browser is installed (`tests/browser.sh`), starts chromedriver and opens a
    /// headless session.
    pub async fn start() -> Browser {
        ensure_installed();
        let port = free_port();
        let mut driver = Driver {
            process: Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("starting chromedriver"),
            profile: std::env::temp_dir()
                .join(format!("mlc-browser-{}-{port}", std::process::id())),
        };
        let _ = std::fs::remove_dir_all(&driver.profile);
        driver.wait_until_ready(port).await;
        let options = serde_json::json!({
            "binary": chromium_on_path(),
            "args": [
                "--headless=new",
                // Chromium refuses to start sandboxed as root.
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=1280,900",
                format!("--user-data-dir={}", driver.profile.display()),
            ],
        });
        let capabilities = Capabilities::from_iter([("goog:chromeOptions".to_owned(), options)]);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("opening a headless chromium session through chromedriver");
        Browser { client, driver }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Writes a PNG of the current viewport to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("taking a screenshot");
        std::fs::write(path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }

    /// Ends the session (chromium quits), then chromedriver.
    pub async fn close(self) {
        self.client
            .close()
            .await
            .expect("ending the browser session");
        drop(self.driver);
    }
}

impl Driver {
    async fn wait_until_ready(&mut self, port: u16) {
        let ready = tokio::time::timeout(DRIVER_READY_WITHIN, async {
            while !reports_ready(port).await {
                if let Some(status) = self.process.try_wait().expect("polling chromedriver") {
                    panic!("chromedriver exited before it was ready: {status}");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        assert!(
            ready.await.is_ok(),
            "chromedriver on port {port} not ready within {DRIVER_READY_WITHIN:?}"
        );
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.process.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        // Should `kill` itself be missing, chromedriver still goes, so `wait` cannot hang.
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn ensure_installed() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser.sh");
    let output = Command::new("bash")
        .arg(script)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {script}: {e}"));
    assert!(
        output.status.success(),
        "{script} found no usable chromium and chromedriver:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    listener.local_addr().unwrap().port()
}

fn chromium_on_path() -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("chromium"))
        .find(|candidate| candidate.is_file())
        .expect("chromium on PATH, as tests/browser.sh checked")
}

/// Whether chromedriver answers `GET /status` with `"ready":true` within a second. It leaves the
/// connection open after answering, whatever the request asks, so this reads only until it knows.
async fn reports_ready(port: u16) -> bool {
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        let request = format!("GET /status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        while !String::from_utf8_lossy(&response).contains(r#""ready":true"#) {
            if stream.read_buf(&mut response).await? == 0 {
                return Ok(false);
            }
        }
        std::io::Result::Ok(true)
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(1), ask).await,
        Ok(Ok(true))
    )
}
