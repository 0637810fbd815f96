//! The playground as a new user drives it: `mlc sim start` writes an `mlc.toml` with both
//! built-in flows, `mlc run` serves it, and the `mlc sim` commands place, pay, refund and cancel
//! orders, buy and void a label, and extend the Intacct company's chart; each flow posts what it
//! should, read back with `mlc sim ledger --json`, once. Bad input is refused with the reason and
//! changes nothing.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde_json::Value;
use support::flows::scratch;

use crate::process::{MlcRun, mlc, text};

/// How long a flow may take to post what a command made happen; the freight flow's poll (which
/// alone sees a void) runs every 15 s in the playground.
const POSTED_WITHIN: Duration = Duration::from_secs(90);

/// `mlc sim start ARGS` in `dir` with the workspace's built plugins, serving.
fn start(dir: &Path, args: &[&str]) -> MlcRun {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mlc"));
    command
        .args(["sim", "start", "--plugins"])
        .arg(support::plugin_dir())
        .args(args)
        .current_dir(dir);
    MlcRun::playground(command)
}

/// `mlc --config CONFIG sim ARGS`.
fn sim(config: &Path, args: &[&str]) -> Output {
    mlc(config, &[&["sim"], args].concat())
}

/// It succeeded; its stdout.
fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "mlc sim failed: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// It failed saying `expected`.
fn refused(output: Output, expected: &str) {
    let stderr = text(&output.stderr);
    assert!(
        !output.status.success(),
        "it succeeded: {}",
        text(&output.stdout)
    );
    assert!(stderr.contains(expected), "{stderr}");
}

fn ledger(config: &Path) -> Value {
    serde_json::from_str(&ok(sim(config, &["ledger", "--json"]))).expect("the ledger is JSON")
}

/// The ledger once `posted` holds of it.
fn wait_for(config: &Path, what: &str, posted: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + POSTED_WITHIN;
    loop {
        let books = ledger(config);
        if posted(&books) {
            return books;
        }
        assert!(
            Instant::now() < deadline,
            "{what} was not posted: {books:#}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn list<'a>(books: &'a Value, key: &str) -> &'a [Value] {
    books[key].as_array().map_or(&[], Vec::as_slice)
}

fn amount(value: &Value) -> Decimal {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("{value} is not a decimal string"))
}

/// The order's number, id and total from what `mlc sim order` printed: `placed order #1001 (id
/// 42): 2 × TS-001, 3 × MUG-1, total 104.49, paid`.
pub fn placed(output: &str) -> (String, String, Decimal) {
    let line = output
        .lines()
        .find(|line| line.starts_with("placed order #"))
        .unwrap_or_else(|| panic!("`mlc sim order` says what it placed:\n{output}"));
    let after = |marker: &str, end: char| -> String {
        let rest = line
            .split(marker)
            .nth(1)
            .unwrap_or_else(|| panic!("{line}"));
        rest.split(end).next().unwrap().to_owned()
    };
    let total = after("total ", ',').parse().expect("a decimal total");
    (after("#", ' '), after("(id ", ')'), total)
}

/// The invoice of the order numbered `number` (the built-in mapping's config numbers invoices
/// `SH<order number>`).
fn invoice<'a>(books: &'a Value, number: &str) -> Option<&'a Value> {
    list(books, "invoices")
        .iter()
        .find(|invoice| invoice["number"] == format!("SH{number}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_playground_s_commands_drive_both_built_in_flows_end_to_end() {
    let dir = scratch("playground");
    let _simulators = start(&dir, &["--dir", "pg"]);
    let config = dir.join("pg/mlc.toml");
    let written = std::fs::read_to_string(&config).unwrap();
    for flow in ["[flows.orders-to-ar]", "[flows.freight-to-gl]"] {
        assert!(written.contains(flow), "{written}");
    }
    let _host = MlcRun::start(&config);

    let subscribed = ok(sim(&config, &["subscribe"]));
    assert!(subscribed.contains("the shop's 7 topics"), "{subscribed}");

    let (paid, _, paid_total) = placed(&ok(sim(&config, &["order"])));
    let books = wait_for(&config, "the paid order's invoice and payment", |books| {
        invoice(books, &paid).is_some_and(|invoice| invoice["state"] == "Paid")
    });
    assert_eq!(
        amount(&invoice(&books, &paid).unwrap()["total"]),
        paid_total
    );

    let unpaid_order = ok(sim(
        &config,
        &[
            "order",
            "--unpaid",
            "--line",
            "MUG-1:2:14.99",
            "--shipping",
            "0",
        ],
    ));
    assert!(unpaid_order.ends_with("pending\n"), "{unpaid_order}");
    let (unpaid, unpaid_id, unpaid_total) = placed(&unpaid_order);
    wait_for(&config, "the unpaid order's invoice", |books| {
        invoice(books, &unpaid).is_some()
    });
    ok(sim(&config, &["pay", &unpaid_id]));
    let books = wait_for(&config, "the payment of the unpaid order", |books| {
        invoice(books, &unpaid).is_some_and(|invoice| invoice["state"] == "Paid")
    });
    assert_eq!(
        amount(&invoice(&books, &unpaid).unwrap()["total_paid"]),
        unpaid_total
    );

    let refund = ok(sim(&config, &["refund", &unpaid_id, "--line", "MUG-1:1"]));
    let refunded: Decimal = refund
        .split_whitespace()
        .nth(1)
        .and_then(|amount| amount.parse().ok())
        .unwrap_or_else(|| panic!("{refund}"));
    assert!(refunded > Decimal::ZERO, "{refund}");
    let books = wait_for(&config, "the refund's credit memo", |books| {
        !list(books, "adjustments").is_empty()
    });
    let memo = &list(&books, "adjustments")[0];
    assert_eq!(memo["kind"], "Credit Memo");
    assert_eq!(
        amount(&memo["total"]),
        -refunded,
        "a credit memo's total is negative"
    );

    let (cancelled, cancelled_id, _) = placed(&ok(sim(
        &config,
        &["order", "--unpaid", "--line", "TS-001:1:25.00"],
    )));
    wait_for(&config, "the order to cancel's invoice", |books| {
        invoice(books, &cancelled).is_some()
    });
    ok(sim(&config, &["cancel", &cancelled_id]));
    wait_for(&config, "the cancelled order's reversal", |books| {
        invoice(books, &cancelled).is_some_and(|invoice| invoice["state"] == "Reversed")
    });

    let label = ok(sim(
        &config,
        &["label", "--carrier", "ups", "--cost", "12.50"],
    ));
    let label_id = label
        .split_whitespace()
        .nth(2)
        .unwrap_or_else(|| panic!("{label}"))
        .to_owned();
    let ups_freight = |books: &Value| amount(&books["balances"]["6100"]);
    let books = wait_for(&config, "the label's freight", |books| {
        !books["balances"]["6100"].is_null()
    });
    assert_eq!(ups_freight(&books), "12.50".parse().unwrap());
    ok(sim(&config, &["void", &label_id]));
    let books = wait_for(&config, "the void's reversal of the freight", |books| {
        ups_freight(books) == Decimal::ZERO
    });

    ok(sim(&config, &["account", "4050", "Gift card revenue"]));
    ok(sim(&config, &["dimension", "department", "MKT"]));
    refused(
        sim(&config, &["account", "4050", "Gift card revenue"]),
        "(409 Conflict)",
    );

    assert_eq!(
        list(&books, "invoices").len(),
        3,
        "one invoice per order: {books:#}"
    );
    assert_eq!(list(&books, "adjustments").len(), 1, "{books:#}");
    assert_eq!(list(&books, "reversals").len(), 1, "{books:#}");
    let text = ok(sim(&config, &["ledger"]));
    assert!(
        text.contains("invoices (3)") && text.contains("Credit Memo"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_playground_refuses_bad_input_and_changes_nothing() {
    let dir = scratch("playground-refusals");
    refused(sim(&dir.join("mlc.toml"), &["order"]), "no playground here");

    let mut simulators = start(&dir, &["--dir", "pg", "--bare"]);
    let config = dir.join("pg/mlc.toml");
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(
        !written.contains("[flows."),
        "--bare writes no flow: {written}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let token = std::fs::metadata(dir.join("pg/secrets/admin-token")).unwrap();
        assert_eq!(token.permissions().mode() & 0o777, 0o600);
    }
    let before = ledger(&config);

    refused(sim(&config, &["pay", "999999"]), "(404 Not Found)");
    refused(sim(&config, &["void", "999999"]), "(404 Not Found)");
    refused(sim(&config, &["refund", "12a"]), "is not an id");
    refused(
        sim(&config, &["order", "--line", "MUG-1:0:14.99"]),
        "not a whole number above 0",
    );
    refused(
        sim(&config, &["label", "--cost", "twelve"]),
        "is not an amount",
    );
    refused(
        sim(&config, &["account", "4000", "Sales"]),
        "(409 Conflict)",
    );
    refused(
        sim(&config, &["dimension", "department", "SALES"]),
        "(409 Conflict)",
    );
    refused(
        sim(&config, &["subscribe", "ftp://example.com"]),
        "(400 Bad Request)",
    );
    assert_eq!(ledger(&config), before, "a refusal changed the books");

    let again = Command::new(env!("CARGO_BIN_EXE_mlc"))
        .args(["sim", "start", "--dir", "pg", "--bare"])
        .current_dir(&dir)
        .output()
        .unwrap();
    refused(again, "is not empty");

    simulators.interrupt();
    assert!(simulators.wait(Duration::from_secs(10)).success());
    refused(
        sim(&config, &["ledger"]),
        "is `mlc sim start` still running?",
    );
}
