//! Mapping plugins in JavaScript and Python as a customer makes them: `mlc plugin new mapping
//! NAME --lang js|python`, the project's own unit tests in its language's runner, `mlc plugin
//! build` (which installs the pinned toolchain into the project the first time), `mlc plugin
//! install`, and `mlc run` in the Shopify → Intacct flow on the simulators, which posts exactly
//! the invoice the Rust template posts. A JavaScript mapping that throws, loops or returns a
//! malformed command fails that event with the reason, and the host serves on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mlc_host::config::Config;
use mlc_host::flow::{self, Status};
use simulators::shopify::{LineSpec, OrderSpec};
use simulators::shopify_intacct::{ShopifyIntacct, demo_configs};
use support::flows::{scratch, wait_settled};

use crate::process::{MlcRun, mlc, text};
use crate::shop_invoice::{check_invoice, d, place_order, write_deployment};

const FLOW: &str = "web-invoices";

/// Runs `command` (in `dir`), which must succeed; returns its stdout and stderr.
fn run_in(dir: &Path, command: &mut Command) -> String {
    let output = command.current_dir(dir).output().expect("running a step");
    let both = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{command:?} failed:\n{both}");
    both
}

fn mlc_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mlc"))
}

/// `mlc plugin new mapping NAME --lang LANG` in a scratch directory, then `mlc plugin build` in
/// the project: returns the project's directory and the component it built.
fn new_and_built(lang: &str, name: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(&format!("lang-{name}"));
    let created = run_in(
        &dir,
        mlc_command().args(["plugin", "new", "mapping", name, "--lang", lang]),
    );
    assert!(created.contains("the contract's WIT in wit/"), "{created}");
    let project = dir.join(name);
    build(&project);
    (
        project.clone(),
        project.join(format!("target/plugins/{name}.wasm")),
    )
}

fn build(project: &Path) -> String {
    let built = run_in(project, mlc_command().args(["plugin", "build"]));
    assert!(built.contains("built 1 plugin(s)"), "{built}");
    built
}

/// The deployment on the simulators with the flow `web-invoices` mapped by `plugin`, installed
/// from `component`; returns the config's path.
fn deploy(sims: &ShopifyIntacct, dir: &Path, plugin: &str, component: &Path) -> PathBuf {
    let config = write_deployment(sims, dir);
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

/// A new mapping in `lang`, from the template to an invoice in Intacct.
async fn the_template_posts_the_rust_template_s_invoice(lang: &str) {
    let name = format!("{lang}-invoices");
    let (project, component) = new_and_built(lang, &name);
    let unit_tests = match lang {
        "js" => run_in(&project, Command::new("npm").arg("test")),
        _ => run_in(
            &project,
            Command::new("python3").args(["-m", "unittest", "-v"]),
        ),
    };
    assert!(
        unit_tests.contains("pass 3") || unit_tests.contains("Ran 3 tests"),
        "{unit_tests}"
    );

    let (shopify, intacct) = demo_configs();
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let config = deploy(&sims, &project, &name, &component);
    let run = MlcRun::start(&config);
    sims.subscribe(&run.base);
    let order = place_order(&sims);
    check_invoice(&sims, &config, &order, FLOW, None).await;
    let show = mlc(&config, &["events", "show", "1"]);
    let show = text(&show.stdout);
    assert!(
        show.contains(&format!("{name} 0.1.0 (")),
        "the map step names the {lang} plugin: {show}"
    );
    assert!(
        show.contains(&format!("{name}/order/{}/invoice", order.id)),
        "{show}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_javascript_mapping_from_the_template_posts_the_same_invoice_as_the_rust_one() {
    the_template_posts_the_rust_template_s_invoice("js").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_mapping_from_the_template_posts_the_same_invoice_as_the_rust_one() {
    the_template_posts_the_rust_template_s_invoice("python").await;
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
    let name = "js-unruly";
    let dir = scratch("lang-unruly");
    run_in(
        &dir,
        mlc_command().args(["plugin", "new", "mapping", name, "--lang", "js"]),
    );
    let project = dir.join(name);
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
    drop(run);
}
