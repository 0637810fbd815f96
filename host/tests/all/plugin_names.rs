//! Plugin names. A component whose `describe` gives a name outside the rule connection and flow
//! names follow (here a path, `../../../tmp/x`) is refused at install, over the admin API and
//! through the library, and leaves nothing behind: not in the plugin store, not served, no
//! compiled code in `data_dir/compiled/`. Each start of a host removes compiled code that no
//! stored component uses.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use mlc_host::Host;
use mlc_host::flow::{self, Service};
use support::flows::{ADMIN_TOKEN, config_text, scratch, write_config};
use support::ledger::Ledger;
use support::variant::build_variant_calling_itself;

const PATH_NAME: &str = "../../../tmp/x";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_named_like_a_path_is_refused_and_leaves_nothing_behind() {
    let ledger = Ledger::start().await;
    let dir = scratch("plugin-names");
    let config = write_config(&dir, &config_text(&dir, &ledger, ""));
    let compiled_dir = config.data_dir.join("compiled");
    let host = flow::open_host(&config).await.expect("the host opens");
    let service = Service::start(host, config.clone())
        .await
        .expect("the service starts");
    let base = format!("http://{}", service.local_addr());
    let versions_before = service
        .plugin_versions()
        .await
        .expect("the store's versions");
    let compiled_before = files(&compiled_dir);
    assert!(!compiled_before.is_empty(), "the active plugins are cached");

    let misnamed = tokio::task::spawn_blocking(|| {
        build_variant_calling_itself("testkit-peer", "0.1.1", PATH_NAME)
    })
    .await
    .expect("the variant's build ran");
    let component = std::fs::read(&misnamed).expect("the variant's component");

    let response = reqwest::Client::new()
        .post(format!("{base}/admin/plugins"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/wasm")
        .body(component.clone())
        .send()
        .await
        .expect("the admin API answers");
    assert_eq!(response.status().as_u16(), 422);
    let answer: serde_json::Value = response.json().await.expect("a JSON error");
    let message = answer["error"].as_str().expect("an error message");
    assert!(
        message.contains("not installed")
            && message.contains(&format!("it names itself {PATH_NAME:?}"))
            && message.contains("1 to 64 ASCII letters, digits, `-` or `_`"),
        "{message}"
    );

    assert_eq!(
        service
            .plugin_versions()
            .await
            .expect("the store's versions"),
        versions_before,
        "the store holds nothing new"
    );
    assert!(
        service
            .host()
            .plugins()
            .iter()
            .all(|plugin| mlc_host::content_hash(&component) != plugin.hash),
        "the component is not served"
    );
    assert_eq!(
        files(&compiled_dir),
        compiled_before,
        "no compiled code is left"
    );

    // An embedder loading it straight into a host with a cache directory gets the same refusal,
    // and an empty cache.
    let cache = dir.join("embedder-cache");
    let embedded = Host::builder()
        .cache_dir(&cache)
        .build()
        .expect("the host builds");
    let refused = embedded
        .load_plugin(&component)
        .await
        .expect_err("the name is refused");
    assert!(
        format!("{refused:#}").contains(&format!("it names itself {PATH_NAME:?}")),
        "{refused:#}"
    );
    assert!(embedded.plugins().is_empty());
    assert!(files(&cache).is_empty(), "{:?}", files(&cache));
    service.shutdown().await.expect("the service stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_removes_compiled_code_no_stored_component_uses() {
    let ledger = Ledger::start().await;
    let dir = scratch("plugin-names-clean-up");
    let config = write_config(&dir, &config_text(&dir, &ledger, ""));
    let compiled_dir = config.data_dir.join("compiled");
    drop(flow::open_host(&config).await.expect("the host opens"));
    let in_use = files(&compiled_dir);
    let some = compiled_dir.join(in_use.first().expect("the active plugins are cached"));
    let engine = some
        .file_stem()
        .and_then(|stem| stem.to_str())
        .and_then(|stem| stem.rsplit_once('-'))
        .map(|(_, engine)| engine.to_owned())
        .expect("<hash>-<engine>.cwasm");

    let not_stored = format!("{}-{engine}.cwasm", "ab".repeat(32));
    let other_engine = format!("{}-0123456789abcdef.cwasm", "cd".repeat(32));
    let abandoned = format!("{}-{engine}.77-1.partial", "ef".repeat(32));
    let being_written = format!("{}-{engine}.78-2.partial", "ef".repeat(32));
    for name in [&not_stored, &other_engine, &abandoned, &being_written] {
        std::fs::copy(&some, compiled_dir.join(name)).expect("planting a file");
    }
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(compiled_dir.join(&abandoned))
        .and_then(|file| file.set_modified(two_hours_ago))
        .expect("ageing the abandoned file");

    drop(
        flow::open_host(&config)
            .await
            .expect("the host opens again"),
    );
    let mut expected = in_use.clone();
    expected.insert(PathBuf::from(&being_written));
    assert_eq!(files(&compiled_dir), expected);
}

/// The names of the files in `dir` (none when it does not exist).
fn files(dir: &Path) -> BTreeSet<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|entry| PathBuf::from(entry.expect("a directory entry").file_name()))
            .collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => BTreeSet::new(),
        Err(error) => panic!("listing {}: {error}", dir.display()),
    }
}
