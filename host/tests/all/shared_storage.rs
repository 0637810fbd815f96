//! Plugin storage that several hosts share, on the backend this run picks: PostgreSQL when
//! `MLC_TEST_POSTGRES_URL` is set (`.ci/run` sets it to a throwaway cluster; a set but
//! unreachable server fails these tests, it never skips them), else one SQLite file that every
//! host opens. The store's contract, compare-and-swap atomic between hosts, three hosts signed in
//! to Intacct with one session, and the errors a user sees for a bad URL, an unreachable server
//! and a schema from a newer release.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mlc_host::Host;
use mlc_host::storage::{KvStore, Namespace, PostgresStore, SqliteStore};
use serde_json::json;
use simulators::intacct::{DEMO_SENDER_PASSWORD, DEMO_USER_PASSWORD, IntacctConfig, IntacctSim};
use support::flows::scratch;

/// The variable that points these tests at a PostgreSQL database.
const POSTGRES_URL: &str = "MLC_TEST_POSTGRES_URL";

/// Where the hosts of one test keep their shared storage.
enum Backend {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Backend {
    /// This run's backend, with a SQLite file of its own for `test`.
    fn pick(test: &str) -> Self {
        match std::env::var(POSTGRES_URL) {
            Ok(url) => Self::Postgres(url),
            Err(_) => Self::Sqlite(scratch(test).join("storage.db")),
        }
    }

    /// One host's store: its own connection to the shared storage.
    async fn store(&self) -> Arc<dyn KvStore> {
        match self {
            Self::Sqlite(path) => Arc::new(SqliteStore::open(path).expect("the SQLite file opens")),
            Self::Postgres(url) => {
                Arc::new(PostgresStore::connect(url).await.unwrap_or_else(|error| {
                    panic!("{POSTGRES_URL} is set but the store does not open: {error}")
                }))
            }
        }
    }
}

/// A namespace no other test (or earlier run on the same database) uses.
fn namespace(plugin: &str) -> Namespace {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    Namespace::new(
        plugin,
        format!(
            "conn-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ),
    )
}

/// Runs the store's blocking call off the async executor, as the host does.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_contract_holds_on_this_backend() {
    let backend = Backend::pick("store-contract");
    let store = backend.store().await;
    let (ns, other) = (namespace("intacct"), namespace("intacct"));
    blocking(move || {
        assert_eq!(store.get(&ns, "session").unwrap(), None);
        store.set(&ns, "session", b"s-1").unwrap();
        store.set(&ns, "session", b"s-2").unwrap();
        assert_eq!(
            store.get(&ns, "session").unwrap().as_deref(),
            Some(&b"s-2"[..])
        );
        assert_eq!(
            store.get(&other, "session").unwrap(),
            None,
            "namespaces apart"
        );
        let binary = [0u8, 255, 10, 0x1f];
        store.set(&ns, "raw", &binary).unwrap();
        assert_eq!(store.get(&ns, "raw").unwrap().as_deref(), Some(&binary[..]));

        for key in ["rate/b", "rate/a", "rate/é", "rate/B", "rated", "other"] {
            store.set(&ns, key, b"1").unwrap();
        }
        assert_eq!(
            store.list_keys(&ns, "rate/").unwrap(),
            ["rate/B", "rate/a", "rate/b", "rate/é"],
            "a prefix's keys in byte order"
        );
        assert_eq!(
            store.list_keys(&ns, "rate/%").unwrap(),
            Vec::<String>::new()
        );
        assert!(store.delete(&ns, "rate/a").unwrap());
        assert!(!store.delete(&ns, "rate/a").unwrap());

        assert!(
            store
                .compare_and_swap(&ns, "lock", None, Some(b"a"))
                .unwrap()
        );
        assert!(
            !store
                .compare_and_swap(&ns, "lock", None, Some(b"b"))
                .unwrap()
        );
        assert!(
            !store
                .compare_and_swap(&ns, "lock", Some(b"x"), Some(b"b"))
                .unwrap()
        );
        assert!(
            store
                .compare_and_swap(&ns, "lock", Some(b"a"), Some(b"b"))
                .unwrap()
        );
        assert!(!store.compare_and_swap(&ns, "lock", None, None).unwrap());
        assert!(
            store
                .compare_and_swap(&ns, "lock", Some(b"b"), None)
                .unwrap()
        );
        assert!(store.compare_and_swap(&ns, "lock", None, None).unwrap());
        assert_eq!(store.get(&ns, "lock").unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_compare_and_swap_is_atomic_between_hosts() {
    const HOSTS: usize = 3;
    const EACH: usize = 100;
    let backend = Backend::pick("store-cas");
    let ns = namespace("shipstation");
    let mut hosts = Vec::new();
    for _ in 0..HOSTS {
        let (store, ns) = (backend.store().await, ns.clone());
        hosts.push(tokio::task::spawn_blocking(move || {
            let mut retries = 0;
            for _ in 0..EACH {
                loop {
                    let current = store.get(&ns, "window").unwrap();
                    let count: usize = current.as_deref().map_or(0, |bytes| {
                        std::str::from_utf8(bytes).unwrap().parse().unwrap()
                    });
                    let next = (count + 1).to_string();
                    if store
                        .compare_and_swap(&ns, "window", current.as_deref(), Some(next.as_bytes()))
                        .unwrap()
                    {
                        break;
                    }
                    retries += 1;
                    assert!(retries < 100 * EACH, "compare-and-swap never got through");
                }
            }
        }));
    }
    for host in hosts {
        host.await.unwrap();
    }
    let store = backend.store().await;
    let count = blocking(move || store.get(&ns, "window").unwrap()).await;
    assert_eq!(
        count.as_deref(),
        Some((HOSTS * EACH).to_string().as_bytes()),
        "every increment of every host counted once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_three_hosts_sign_in_to_intacct_once() {
    let backend = Backend::pick("store-intacct-session");
    let sim = IntacctSim::start(IntacctConfig::demo())
        .await
        .expect("the simulator starts");
    let connection = Arc::new(support::intacct_connection(
        &sim,
        &namespace("intacct").connection,
        DEMO_SENDER_PASSWORD,
        DEMO_USER_PASSWORD,
    ));
    for host_number in 0..3 {
        let host = support::host_with(Host::builder().storage(backend.store().await)).await;
        let connector = host.connector("intacct", connection.clone()).unwrap();
        let find = support::command("intacct.find-sales-order", json!({"doc_no": "SO-1001"}));
        let report = connector.apply(&[find]).await;
        let results = report.result.as_ref().expect("the look-up is answered");
        assert!(results[0].is_ok(), "host {host_number}: {results:?}");
        let signed_in = report
            .http
            .iter()
            .filter(|exchange| exchange.request_body.contains("<getAPISession>"))
            .count();
        assert_eq!(
            (signed_in, report.http.len()),
            (
                usize::from(host_number == 0),
                1 + usize::from(host_number == 0)
            ),
            "host {host_number}: only the first signs in; the others use the session it stored"
        );
    }
    assert_eq!(sim.request_count(), 4, "one sign-in, three look-ups");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_a_bad_or_unreachable_postgres_url_is_a_clear_error_without_its_password() {
    let error = PostgresStore::connect("mysql://somewhere")
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "storage backend: the PostgreSQL URL does not read \
         (postgresql://user@host:port/database)"
    );
    let error = PostgresStore::connect("postgresql://mlc:hunter2-secret@127.0.0.1:1/books")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("storage backend: PostgreSQL at mlc@127.0.0.1:1/books cannot be reached"),
        "{error}"
    );
    assert!(!error.contains("hunter2"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_a_schema_from_a_newer_release_is_refused() {
    let error = match Backend::pick("store-newer-schema") {
        Backend::Sqlite(path) => {
            drop(SqliteStore::open(&path).unwrap());
            let db = rusqlite::Connection::open(&path).unwrap();
            db.pragma_update(None, "user_version", 9).unwrap();
            drop(db);
            SqliteStore::open(&path).unwrap_err().to_string()
        }
        Backend::Postgres(_) => {
            let database = support::postgres::database("store_newer_schema").await;
            support::postgres::mark_newer(&database, "plugin_storage", 9).await;
            PostgresStore::connect(&database.url())
                .await
                .unwrap_err()
                .to_string()
        }
    };
    assert!(
        error.contains("schema version 9") && error.contains("newer"),
        "{error}"
    );
}
