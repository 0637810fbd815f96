//! The `mlc` binary as a person runs it: `--help` lists the subcommands, `mlc plugins` lists the
//! built plugins, a missing plugin directory gets a message that says what to do, and `mlc demo`
//! runs its day of Shopify orders and its shipping day of ShipStation labels into the Intacct
//! simulator and prints books that balance and freight by carrier and warehouse, and with `--serve`
//! serves its console and metrics until Ctrl-C.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;

use crate::process::MlcRun;

fn mlc(args: &[&str]) -> (bool, String, String) {
    let workspace = support::workspace_root();
    let output = Command::new(env!("CARGO_BIN_EXE_mlc"))
        .args(args)
        .current_dir(workspace)
        .output()
        .expect("running mlc");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn help_lists_the_subcommands() {
    let (ok, stdout, _) = mlc(&["--help"]);
    assert!(ok);
    for subcommand in ["plugins", "plugin", "demo"] {
        assert!(
            stdout
                .lines()
                .any(|line| line.trim_start().starts_with(subcommand)),
            "{stdout}"
        );
    }
}

#[test]
fn plugins_lists_name_version_world_contract_and_capabilities() {
    let dir = support::plugin_dir().to_str().unwrap();
    let (ok, stdout, stderr) = mlc(&["plugins", "--plugins", dir]);
    assert!(ok, "{stderr}");
    let row = |name: &str| {
        stdout
            .lines()
            .find(|line| line.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row for {name}: {stdout}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let testkit = row("testkit");
    assert_eq!(testkit[1..3], ["0.1.0", "connector"]);
    assert!(
        testkit.iter().any(|cell| cell.starts_with("secrets")),
        "{testkit:?}"
    );
    assert_eq!(
        row("testkit-mapping")[1..6],
        ["0.1.0", "mapping", "0.3.0", "log,", "config"]
    );
    assert_eq!(
        row("legacy-mapping")[1..5],
        ["0.1.0", "mapping", "0.1.0", "log"]
    );
}

#[test]
fn an_empty_plugin_directory_says_how_to_build() {
    let empty = std::env::temp_dir().join(format!("mlc-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let (ok, _, stderr) = mlc(&["plugins", "--plugins", empty.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        stderr.contains("build them with `mlc plugin build`"),
        "{stderr}"
    );
    let (ok, _, stderr) = mlc(&["plugins", "--plugins", "/nonexistent/plugins"]);
    assert!(!ok);
    assert!(
        stderr.contains("cannot read the plugin directory /nonexistent/plugins"),
        "{stderr}"
    );
}

#[tokio::test]
async fn demo_posts_the_day_to_intacct_the_books_balance_and_it_serves_its_console_until_ctrl_c() {
    let mut demo = MlcRun::demo_serving(support::plugin_dir());
    let stdout = demo.stdout();
    console_and_metrics_of_the_demo(&demo.base, &stdout).await;
    demo.interrupt();
    let status = demo.wait(Duration::from_secs(60));
    assert!(status.success(), "{status}: {}", demo.stderr());
    // The unpaid wholesale order is an open invoice; the customer whose name carried a control
    // character reached Intacct without it, `&` intact.
    let invoice = stdout
        .lines()
        .find(|line| line.trim_start().starts_with("SH1003 "))
        .unwrap_or_else(|| panic!("no invoice SH1003: {stdout}"));
    assert!(
        invoice.contains("Northwind Traders") && invoice.ends_with("Posted"),
        "{invoice}"
    );
    assert!(
        stdout
            .lines()
            .any(|line| line.ends_with("  Harriet Fields & Daughters")),
        "{stdout}"
    );
    // Every trial balance (one per currency, by account and by dimension) totals debits = credits.
    let totals: Vec<Vec<&str>> = stdout
        .lines()
        .filter(|line| line.trim_start().starts_with("total "))
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert!(totals.len() >= 6, "{stdout}");
    for total in &totals {
        let [.., debit, credit] = total.as_slice() else {
            panic!("{total:?}")
        };
        assert_eq!(debit, credit, "{stdout}");
        assert_ne!(*debit, "0.00", "{stdout}");
    }
    assert!(stdout.contains("USD: debits"), "{stdout}");
    // The ShipStation day: freight by carrier shows UPS's account (the UPS label's 18.40) and
    // balanced totals; the return label is skipped; the void is found by the poll and reversed;
    // the shipment held for review ends posted to the sales order it was resolved to.
    let ups = stdout
        .lines()
        .find(|line| line.trim_start().starts_with("6100 Freight - UPS "))
        .unwrap_or_else(|| panic!("no UPS freight row: {stdout}"));
    assert!(ups.contains("18.40"), "{ups}");
    assert!(
        stdout.contains("the mapping logged `skipped: return label`"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|line| line.contains("voided") && line.ends_with("→ 1 done  [poll]")),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|line| line.contains("held for review")),
        "{stdout}"
    );
    let resolved = stdout
        .lines()
        .find(|line| line.contains("mlc review resolve "))
        .unwrap_or_else(|| panic!("no resolution: {stdout}"));
    assert!(resolved.ends_with("→ 2 done"), "{resolved}");
    assert!(
        stdout.contains("ShipStation shipment")
            && stdout.contains("order 1002, sales order SO-1002"),
        "{stdout}"
    );
    assert!(!stdout.contains("OUT OF BALANCE"), "{stdout}");
    // The day's attempts were recorded: an order replays on its recording as it ran, and the
    // mapping that served the day, dry-run over it, would post exactly what it posted.
    assert!(
        stdout.contains("with no network: identical requests, records and commands"),
        "{stdout}"
    );
    let dry_run = stdout
        .lines()
        .find(|line| line.contains("dry-run over the day's"))
        .unwrap_or_else(|| panic!("no dry-run line: {stdout}"));
    assert!(
        dry_run.contains("· changed 0 · new failures 0 · not replayable 0; no amount moves"),
        "{dry_run}"
    );
    // The config it points at serves `mlc events list`.
    let config = stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("config "))
        .unwrap_or_else(|| panic!("no config path: {stdout}"))
        .trim();
    let (ok, events, stderr) = mlc(&["events", "list", "--config", config]);
    assert!(ok, "{stderr}");
    assert!(events.contains("orders/create"), "{events}");
}

/// What a newcomer does with `mlc demo --serve`: reads both flows' counts at `/metrics`, signs in
/// to the console with the token in the file the demo names (the token itself is never printed),
/// and finds both flows' events there.
async fn console_and_metrics_of_the_demo(base: &str, stdout: &str) {
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for flow in ["orders-to-ar", "freight-to-gl"] {
        let series = format!("mlc_events_received_total{{flow=\"{flow}\"}} ");
        let received: f64 = metrics
            .lines()
            .find_map(|line| line.strip_prefix(&series)?.parse().ok())
            .unwrap_or_else(|| panic!("no {series} in {metrics}"));
        assert!(received > 0.0, "{metrics}");
    }

    let token_file = stdout
        .lines()
        .find_map(|line| line.split("the token in ").nth(1))
        .unwrap_or_else(|| panic!("no token file named: {stdout}"));
    let token = std::fs::read_to_string(token_file).unwrap();
    assert_eq!(token.len(), 64, "32 random bytes, hex");
    assert!(!stdout.contains(&token), "the token is never printed");
    let mode = std::fs::metadata(token_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "only its owner reads the token");

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let anonymous = client.get(format!("{base}/ui")).send().await.unwrap();
    assert_eq!(anonymous.status(), 303, "the console wants a login first");
    let login = client
        .post(format!("{base}/ui/login"))
        .header("origin", base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("name=newcomer&token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    let session = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let events = client
        .get(format!("{base}/ui/events"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let page = events.text().await.unwrap();
    for text in [
        "orders-to-ar",
        "freight-to-gl",
        "orders/create",
        "SHIP_NOTIFY",
    ] {
        assert!(page.contains(text), "no {text} in the events page: {page}");
    }
}
