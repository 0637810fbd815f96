//! A PostgreSQL database for the tests that need one: under `MLC_TEST_POSTGRES_URL` when it is
//! set (`.ci/run` points it at a `pg_virtualenv` cluster; a set but unreachable server fails the
//! test, it never skips), else on a throwaway cluster that this test process starts once with
//! `pg_virtualenv` (Debian's postgresql-common; `host/tests/postgres.sh` installs it when it is
//! missing, or says what to install) and that goes away when the process ends. Each test gets a
//! database of its own.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use url::Url;

/// The variable that points the tests at a PostgreSQL server.
pub const POSTGRES_URL: &str = "MLC_TEST_POSTGRES_URL";

/// How long a throwaway cluster may take to start.
const CLUSTER_START: Duration = Duration::from_secs(120);

/// One test's database.
#[derive(Debug, Clone)]
pub struct Database {
    url: Url,
}

impl Database {
    /// The URL with the password in it, for a library's `connect`.
    pub fn url(&self) -> String {
        self.url.to_string()
    }

    /// The URL without its password, as `[store] url` takes it.
    pub fn url_without_password(&self) -> String {
        let mut url = self.url.clone();
        url.set_password(None)
            .expect("a postgresql URL has a password");
        url.to_string()
    }

    /// The password, for `[store] password`.
    pub fn password(&self) -> String {
        self.url.password().unwrap_or_default().to_owned()
    }

    /// `[store]` on this database for a config in `dir`, its password written to the file
    /// `store-password` there.
    pub fn store_section(&self, dir: &Path) -> String {
        std::fs::write(dir.join("store-password"), self.password()).unwrap();
        format!(
            "\n[store]\nurl = \"{}\"\npassword = {{ file = \"store-password\" }}\n",
            self.url_without_password()
        )
    }
}

/// A new, empty database named after `test` on this run's server.
pub async fn database(test: &str) -> Database {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let server = server();
    let (client, connection) = tokio_postgres::connect(server.as_str(), tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|error| panic!("the tests' PostgreSQL server does not answer: {error}"));
    tokio::spawn(connection);
    let name = format!(
        "mlc_{}_{}_{}",
        test.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|error| panic!("cannot create database {name}: {error}"));
    let mut url = server;
    url.set_path(&format!("/{name}"));
    Database { url }
}

/// [`database`], for callers outside a runtime or inside one that may not block: made on a
/// thread of its own.
pub fn database_now(test: &str) -> Database {
    let test = test.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(database(&test))
    })
    .join()
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Records `part` of `database`'s schema as `version`, as a newer release of mlc would have.
pub async fn mark_newer(database: &Database, part: &str, version: i32) {
    let (client, connection) = tokio_postgres::connect(&database.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .execute(
            "CREATE TABLE IF NOT EXISTS mlc_schema (part TEXT PRIMARY KEY, version INTEGER NOT NULL)",
            &[],
        )
        .await
        .unwrap();
    client
        .execute(
            "INSERT INTO mlc_schema (part, version) VALUES ($1, $2)
             ON CONFLICT (part) DO UPDATE SET version = excluded.version",
            &[&part, &version],
        )
        .await
        .unwrap();
}

/// Ends every session on `database` but this call's own, as a server restart or a failover
/// would, and waits until they are gone; returns how many it ended.
pub async fn drop_connections(database: &Database) -> usize {
    let (client, connection) = tokio_postgres::connect(&database.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let ended = client
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    // pg_terminate_backend only signals: a session may answer one more statement before it ends.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if left == 0 {
            return ended.len();
        }
        assert!(
            Instant::now() < deadline,
            "{left} session(s) still on the database 10 s after they were ended"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Lets `database` take connections again, or stops it taking any and ends those it has, as a
/// database that went away would (superusers included, unlike a revoked privilege).
pub async fn allow_connections(database: &Database, allowed: bool) {
    let (client, connection) = tokio_postgres::connect(server().as_str(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let name = database.url.path().trim_start_matches('/');
    client
        .batch_execute(&format!(
            "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {allowed}"
        ))
        .await
        .unwrap();
    if !allowed {
        client
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                &[&name],
            )
            .await
            .unwrap();
    }
}

/// The server of this run: the variable's, or the throwaway cluster's.
fn server() -> Url {
    let text = match std::env::var(POSTGRES_URL) {
        Ok(text) => text,
        Err(_) => throwaway_cluster().clone(),
    };
    Url::parse(&text).unwrap_or_else(|error| panic!("{POSTGRES_URL} does not read: {error}"))
}

/// Starts `pg_virtualenv` once per process: it makes a cluster, writes its URL to a file and
/// waits on its stdin, which stays open until this process ends; then it drops the cluster.
fn throwaway_cluster() -> &'static String {
    static CLUSTER: OnceLock<(Mutex<Child>, String)> = OnceLock::new();
    let (_, url) = CLUSTER.get_or_init(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../postgres.sh");
        let installed = Command::new("bash").arg(script).status().unwrap();
        assert!(
            installed.success(),
            "these tests need PostgreSQL: {script} could not install it (its message is above), \
             or set {POSTGRES_URL} to a server's URL"
        );
        let dir = scratch_dir();
        let url_file = dir.join("url");
        let command = format!(
            "echo \"postgresql://$PGUSER:$PGPASSWORD@$PGHOST:${{PGPORT:-5432}}/$PGDATABASE\" \
             > {file}.partial && mv {file}.partial {file} && cat > /dev/null",
            file = url_file.display()
        );
        let log = std::fs::File::create(dir.join("pg_virtualenv.log")).unwrap();
        let mut child = Command::new("pg_virtualenv")
            .args(["sh", "-c", &command])
            .stdin(Stdio::piped())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "pg_virtualenv does not start ({error}); set {POSTGRES_URL} to a server's URL"
                )
            });
        let started = Instant::now();
        loop {
            if let Ok(url) = std::fs::read_to_string(&url_file) {
                return (Mutex::new(child), url.trim().to_owned());
            }
            if let Ok(Some(status)) = child.try_wait() {
                let mut output = String::new();
                std::fs::File::open(dir.join("pg_virtualenv.log"))
                    .and_then(|mut log| log.read_to_string(&mut output))
                    .unwrap();
                panic!("pg_virtualenv ended ({status}) before its cluster served:\n{output}");
            }
            assert!(
                started.elapsed() < CLUSTER_START,
                "pg_virtualenv did not start a cluster within {CLUSTER_START:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    url
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlc-postgres-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
