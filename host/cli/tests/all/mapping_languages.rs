//! Mapping plugins in JavaScript and Python beyond the guide (whose test, `guide.rs`, makes,
//! tests, builds and runs the templates in each language and checks their invoice to the cent): a
//! JavaScript mapping that throws, loops or returns a malformed command fails that event with the
//! reason, and the host serves on; one that imports WASI's network is refused at install; a build
//! without node or python says what to install. A mapping swapped live from Rust to JavaScript
//! and back (`mlc plugin install`, `mlc plugin rollback`) loses and doubles nothing. A Rust
//! mapping built as a standard `wasm32-wasip2` component, importing WASI, runs in the flow.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mlc_host::config::Config;
use mlc_host::flow::{self, Status};
use rust_decimal::Decimal;
use simulators::shopify::{LineSpec, OrderSpec};
use simulators::shopify_intacct::{Setup, ShopifyIntacct, demo_configs};
use support::flows::{scratch, store_section, wait_settled};

use crate::process::{MlcRun, mlc, text};

const FLOW: &str = "web-invoices";

/// Runs `command` (in `dir`), which must succeed; returns its stdout and stderr.
fn run_in(dir: &Path, command: &mut Command) -> String {
    let output = command.current_dir(dir).output().expect("running a step");
    let both = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{command:?} failed:\n{both}");
    both
}

/// Node.js with npm and Python with venv are here (`tests/languages.sh` installs them when it
/// can); if not, the test fails saying what to install, never skips.
pub fn ensure_languages() {
    static CHECKED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    CHECKED.get_or_init(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/languages.sh");
        let output = Command::new("bash")
            .arg(script)
            .output()
            .expect("running bash");
        assert!(
            output.status.success(),
            "{script} failed:\n{}",
            text(&output.stderr)
        );
    });
}

fn mlc_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mlc"))
}

/// `mlc plugin new mapping NAME ARGS` in `dir`; returns the project's directory (`--dir DIR`
/// when given, else NAME).
fn plugin_new(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    run_in(
        dir,
        mlc_command()
            .args(["plugin", "new", "mapping", name])
            .args(args),
    );
    let project = match args.iter().position(|arg| *arg == "--dir") {
        Some(at) => args[at + 1],
        None => name,
    };
    dir.join(project)
}

fn build(project: &Path) {
    let built = run_in(project, mlc_command().args(["plugin", "build"]));
    assert!(built.contains("built 1 plugin(s)"), "{built}");
}

fn d(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

/// The deployment on the simulators (connections to the shop and the Intacct company, the built
/// connectors) with the flow `web-invoices` mapped by `plugin`, installed from `component`;
/// returns the config's path.
fn deploy(sims: &ShopifyIntacct, dir: &Path, plugin: &str, component: &Path) -> PathBuf {
    let setup = Setup {
        flow: false,
        ..Setup::new(support::plugin_dir())
    };
    let config = sims
        .write_config(dir, &setup, &store_section(dir))
        .expect("writing the config");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str(&format!(
        "\n[flows.{FLOW}]\nsource = \"shopify\"\nevents = [\"orders/create\"]\nmapping = \
         \"{plugin}\"\nsink = \"intacct\"\nmapping_config = {{ customer_id = \"C-DEMO\", \
         revenue_account = \"4000\" }}\n"
    ));
    std::fs::write(&config, toml).unwrap();
    let installed = mlc(&config, &["plugin", "install", component.to_str().unwrap()]);
    assert!(installed.status.success(), "{}", text(&installed.stderr));
    config
}

/// The Rust template built with `mlc plugin build --target wasm32-wasip2`: a component whose
/// standard library imports WASI 0.2 (the host links it, granting nothing), which posts the
/// template's invoice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rust_mapping_built_for_wasm32_wasip2_imports_wasi_and_posts_its_invoice() {
    let name = "wasip2-invoices";
    let dir = scratch("lang-wasip2");
    let project = plugin_new(&dir, name, &[]);
    let built = run_in(
        &project,
        mlc_command()
            .args(["plugin", "build", "--target", "wasm32-wasip2"])
            .env("CARGO_TARGET_DIR", crate::guide::guide_target_dir()),
    );
    assert!(
        built
            .lines()
            .any(|line| line.contains("plugin build route") && line.contains("wasm32-wasip2")),
        "the route says its target: {built}"
    );
    let component = project.join(format!("target/plugins/{name}.wasm"));
    let bytes = std::fs::read(&component).unwrap();
    let names = |text: &str| {
        bytes
            .windows(text.len())
            .any(|window| window == text.as_bytes())
    };
    assert!(
        names("wasi:cli/environment@0.2") && names("wasi:io/streams@0.2"),
        "a wasip2 component imports WASI 0.2"
    );

    let (shopify, intacct) = demo_configs();
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let config = deploy(&sims, &dir, name, &component);
    let run = MlcRun::start(&config);
    sims.subscribe(&run.base);
    let order = sims
        .shopify
        .create_order(OrderSpec {
            lines: vec![LineSpec::new("MUG-1", "Mug", 2, d("14.99"))],
            ..OrderSpec::default()
        })
        .unwrap();
    sims.shopify.wait_idle().await;
    let inbox = flow::open_inbox(&Config::load(&config).unwrap()).unwrap();
    let rows = wait_settled(
        &inbox,
        1,
        &[Status::Done, Status::Failed, Status::Review],
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(rows[0].status, Status::Done, "{:?}", rows[0].summary());
    let ledger = sims.ledger();
    let [posted] = &ledger.invoices[..] else {
        panic!("one invoice: {:#?}", ledger.invoices)
    };
    let lines: Vec<(&str, Decimal)> = posted
        .document
        .lines
        .iter()
        .map(|line| (line.account.as_str(), line.amount))
        .collect();
    assert_eq!(lines, [("4000", d("29.98"))]);
    assert_eq!(posted.document.number, Some(order.order_number.to_string()));
    let show = text(&mlc(&config, &["events", "show", "1"]).stdout);
    assert!(show.contains(&format!("{name} 0.1.0 (")), "{show}");
}

/// What the unruly mapping does with an order, by the order's tag.
const UNRULY: &str = r#"export function invoices(plugin, records, config) {
  const tags = records
    .filter((record) => record.kind === ORDER)
    .flatMap((record) => JSON.parse(record.body).tags);
  if (tags.includes('throw')) throw new TypeError('the mapping broke on purpose');
  if (tags.includes('loop')) for (;;) {}
  if (tags.includes('malformed')) {
    return [{ kind: CREATE_INVOICE, key: `${plugin}/malformed`, body: '{"customer_id": ' }];
  }
  return wellBehaved(plugin, records, config);
}

function wellBehaved(plugin, records, config) {"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_javascript_mapping_that_throws_loops_or_returns_a_malformed_command_fails_that_event_only()
 {
    ensure_languages();
    let name = "js-unruly";
    let dir = scratch("lang-unruly");
    let project = plugin_new(&dir, name, &["--lang", "js"]);
    let source = project.join("src/invoices.js");
    let code = std::fs::read_to_string(&source).unwrap();
    let code = code.replacen(
        "export function invoices(plugin, records, config) {",
        UNRULY,
        1,
    );
    std::fs::write(&source, code).unwrap();
    build(&project);
    let component = project.join(format!("target/plugins/{name}.wasm"));

    let (shopify, intacct) = demo_configs();
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let config = deploy(&sims, &project, name, &component);
    let run = MlcRun::start(&config);
    sims.subscribe(&run.base);
    let mut tags = BTreeMap::new();
    for tag in ["throw", "loop", "malformed", "fine"] {
        let order = sims
            .shopify
            .create_order(OrderSpec {
                tags: vec![tag.to_owned()],
                lines: vec![LineSpec::new("MUG-1", "Mug", 1, d("14.99"))],
                ..OrderSpec::default()
            })
            .unwrap();
        tags.insert(order.id.to_string(), tag);
        tags.insert(format!("#{}", order.order_number), tag);
    }
    sims.shopify.wait_idle().await;
    let inbox = flow::open_inbox(&Config::load(&config).unwrap()).unwrap();
    let rows = wait_settled(
        &inbox,
        4,
        &[Status::Done, Status::Failed, Status::Review],
        Duration::from_secs(120),
    )
    .await;
    let mut outcomes: Vec<(&str, Status, String)> = rows
        .iter()
        .map(|row| {
            let tag = tags.get(&row.reference).copied().unwrap_or("?");
            (tag, row.status, row.last_error.clone().unwrap_or_default())
        })
        .collect();
    outcomes.sort();
    let summary = format!("{outcomes:#?}");
    let [fine, looped, malformed, thrown] = &outcomes[..] else {
        panic!("four events: {summary}")
    };
    assert_eq!((fine.0, fine.1), ("fine", Status::Done), "{summary}");
    assert_eq!(malformed.1, Status::Failed, "{summary}");
    assert!(
        malformed
            .2
            .contains("command body is not the expected JSON"),
        "the sink refuses the malformed command: {summary}"
    );
    assert_eq!(looped.1, Status::Failed, "{summary}");
    assert!(
        looped
            .2
            .contains("plugin `js-unruly`: the plugin used its CPU budget"),
        "{summary}"
    );
    assert_eq!(thrown.1, Status::Failed, "{summary}");
    assert!(
        thrown.2.contains("TypeError: the mapping broke on purpose"),
        "{summary}"
    );
    assert_eq!(
        sims.ledger().invoices.len(),
        1,
        "only the fine order posted"
    );

    // The same mapping built with WASI's network left in (componentize-js's default features) is
    // refused at install, naming the import, and the installed version stays active.
    let networked = project.join("target/networked.wasm");
    run_in(
        &project,
        Command::new(project.join("node_modules/.bin/componentize-js"))
            .args([
                "src/plugin.js",
                "--wit",
                "wit",
                "--world-name",
                "mapping",
                "--out",
            ])
            .arg(&networked),
    );
    let refused = mlc(&config, &["plugin", "install", networked.to_str().unwrap()]);
    let stderr = text(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("it imports wasi:http/")
            && stderr.contains("a plugin reaches the network only through the host's `http`"),
        "{stderr}"
    );
    let list = text(&mlc(&config, &["plugin", "list"]).stdout);
    assert!(
        list.lines().filter(|line| line.contains(name)).count() == 1,
        "one version of {name}, the one installed first: {list}"
    );
    drop(run);
}

#[test]
fn a_build_without_node_or_python_or_for_a_rust_target_says_why_and_writes_nothing() {
    let dir = scratch("lang-missing");
    for (lang, expected) in [
        (
            "js",
            "`node` is not installed or not on PATH: this plugin's build needs Node.js 18 or newer",
        ),
        (
            "python",
            "`python3` is not installed or not on PATH: this plugin's build needs Python 3.10 or newer with venv",
        ),
    ] {
        let name = format!("bare-{lang}");
        let project = plugin_new(&dir, &name, &["--lang", lang]);
        let output = mlc_command()
            .args(["plugin", "build"])
            .current_dir(&project)
            .env("PATH", "/nonexistent")
            .output()
            .unwrap();
        let stderr = text(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        let wasip2 = mlc_command()
            .args(["plugin", "build", "--target", "wasm32-wasip2"])
            .current_dir(&project)
            .output()
            .unwrap();
        let stderr = text(&wasip2.stderr);
        assert!(!wasip2.status.success(), "{stderr}");
        assert!(
            stderr.contains("--target is for Rust plugin crates"),
            "{stderr}"
        );
        for built in ["node_modules", ".venv", "target"] {
            assert!(!project.join(built).exists(), "{lang}: {built} was made");
        }
    }
}

/// The live swap's pace and bounds: orders before the first swap, orders each version must map
/// after a swap before the next, the time between orders (longer while a swap runs: an install
/// compiles a 12 MB component, and the running host loads it), and how long the test waits for
/// the host to take up both swaps.
const ORDERS_BEFORE_SWAP: usize = 6;
const ORDERS_PER_VERSION: usize = 4;
const ORDER_PACE: Duration = Duration::from_millis(150);
const ORDER_PACE_WHILE_SWAPPING: Duration = Duration::from_secs(1);
const SWAPS_WITHIN: Duration = Duration::from_secs(240);

/// The version of `plugin` that mapped the newest finished event, if any finished.
fn newest_mapped_by(inbox: &flow::Inbox) -> Option<String> {
    let newest = inbox
        .list(&flow::EventFilter {
            status: Some(Status::Done),
            limit: 1,
            ..flow::EventFilter::default()
        })
        .unwrap()
        .pop()?;
    let detail = inbox.show(newest.id).unwrap();
    detail
        .steps
        .into_iter()
        .find(|step| step.name == "map")
        .and_then(|step| step.plugin_version)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_swapped_live_from_rust_to_javascript_and_back_loses_and_doubles_nothing() {
    ensure_languages();
    let name = "swap-invoices";
    let dir = scratch("lang-swap");
    let rust = plugin_new(&dir, name, &["--dir", "rust"]);
    run_in(
        &rust,
        mlc_command()
            .args(["plugin", "build"])
            .env("CARGO_TARGET_DIR", crate::guide::guide_target_dir()),
    );
    let js = plugin_new(&dir, name, &["--lang", "js", "--dir", "js"]);
    // The JavaScript one is version 0.2.0, so each event's steps tell which one mapped it.
    for (file, version) in [
        ("package.json", r#""version": "0.1.0""#),
        ("src/plugin.js", "const VERSION = '0.1.0';"),
    ] {
        let path = js.join(file);
        let source = std::fs::read_to_string(&path).unwrap();
        assert!(source.contains(version), "{file}: {source}");
        std::fs::write(
            &path,
            source.replace(version, &version.replace("0.1.0", "0.2.0")),
        )
        .unwrap();
    }
    build(&js);
    let component = |lang: &str| dir.join(lang).join(format!("target/plugins/{name}.wasm"));

    let (shopify, intacct) = demo_configs();
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let config = deploy(&sims, &dir, name, &component("rust"));
    let inbox = flow::open_inbox(&Config::load(&config).unwrap()).unwrap();
    let run = MlcRun::start(&config);
    sims.subscribe(&run.base);
    // Orders keep coming every 150 ms while `mlc plugin install` (the JavaScript version) and
    // later `mlc plugin rollback` (back to Rust) run beside them; each swap waits until the
    // running host has mapped a few orders with the version before it.
    let mut orders = Vec::new();
    let mut swaps = vec![
        (
            "0.2.0",
            vec![
                "plugin".to_owned(),
                "install".to_owned(),
                component("js").display().to_string(),
            ],
        ),
        (
            "0.1.0",
            vec!["plugin".to_owned(), "rollback".to_owned(), name.to_owned()],
        ),
    ]
    .into_iter();
    let mut swapping: Option<(&str, std::thread::JoinHandle<std::process::Output>)> = None;
    let mut mapped_since_swap = 0;
    let mut awaited = "0.1.0";
    let mut swaps_done = 0;
    let deadline = std::time::Instant::now() + SWAPS_WITHIN;
    while std::time::Instant::now() < deadline {
        let order = sims
            .shopify
            .create_order(OrderSpec {
                lines: vec![LineSpec::new(
                    "MUG-1",
                    "Mug",
                    orders.len() as u32 % 7 + 1,
                    d("14.99"),
                )],
                ..OrderSpec::default()
            })
            .unwrap();
        orders.push(order);
        let pace = match (&swapping, mapped_since_swap) {
            (None, 1..) => ORDER_PACE,
            _ => ORDER_PACE_WHILE_SWAPPING,
        };
        tokio::time::sleep(pace).await;
        if newest_mapped_by(&inbox).as_deref() == Some(awaited) {
            mapped_since_swap += 1;
        }
        let needed = match swaps_done {
            0 => ORDERS_BEFORE_SWAP,
            _ => ORDERS_PER_VERSION,
        };
        if let Some((version, done)) = swapping.take_if(|(_, swap)| swap.is_finished()) {
            let output = done.join().unwrap();
            assert!(output.status.success(), "{}", text(&output.stderr));
            (awaited, mapped_since_swap) = (version, 0);
            swaps_done += 1;
        } else if mapped_since_swap >= needed && swapping.is_none() {
            match swaps.next() {
                Some((version, args)) => {
                    let config = config.clone();
                    let swap = std::thread::spawn(move || {
                        let args: Vec<&str> = args.iter().map(String::as_str).collect();
                        mlc(&config, &args)
                    });
                    swapping = Some((version, swap));
                }
                None => break,
            }
        }
    }
    assert!(
        swapping.is_none() && swaps.next().is_none(),
        "the host took up both swaps within {SWAPS_WITHIN:?}: {}",
        run.stderr()
    );
    sims.shopify.wait_idle().await;
    let rows = wait_settled(
        &inbox,
        orders.len(),
        &[Status::Done, Status::Failed, Status::Review],
        Duration::from_secs(180),
    )
    .await;
    let mut mapped_by = BTreeMap::new();
    for row in &rows {
        assert_eq!(row.status, Status::Done, "{}", row.summary());
        let detail = inbox.show(row.id).unwrap();
        let versions: Vec<&str> = detail
            .steps
            .iter()
            .filter(|step| step.name == "map")
            .filter_map(|step| step.plugin_version.as_deref())
            .collect();
        assert_eq!(versions.len(), 1, "one map step: {versions:?}");
        *mapped_by.entry(versions[0].to_owned()).or_insert(0) += 1;
    }
    assert!(
        mapped_by.get("0.1.0").is_some_and(|&n| n > 0)
            && mapped_by.get("0.2.0").is_some_and(|&n| n > 0),
        "both the Rust (0.1.0) and the JavaScript (0.2.0) version mapped orders: {mapped_by:?}"
    );
    let ledger = sims.ledger();
    assert_eq!(ledger.invoices.len(), orders.len(), "each order once");
    for (n, order) in orders.iter().enumerate() {
        let posted: Vec<_> = ledger
            .invoices
            .iter()
            .filter(|invoice| invoice.document.number == Some(order.order_number.to_string()))
            .collect();
        assert_eq!(posted.len(), 1, "order {}", order.order_number);
        let quantity = Decimal::from(n as u32 % 7 + 1);
        assert_eq!(posted[0].document.total, d("14.99") * quantity);
    }
    drop(run);
}
