//! `mlc`, the command line over the ml-connector host library (`mlc_host`): serve flows, work
//! on their events, build, scaffold and install plugins, and the demo on the simulators. Each
//! command is one module; this file holds the argument definitions and the dispatch.

mod backfill;
mod demo;
mod differs;
mod dry_run;
mod events;
mod installs;
mod plugin_projects;
mod plugins;
mod reconcile;
mod replay;
mod run;
mod scaffold;
mod sim;
mod terminal;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ml_connector_builder::PluginTarget;
use mlc_host::config::Config;
use mlc_host::flow::{self, EventFilter, Status};

#[derive(Parser)]
#[command(
    name = "mlc",
    version,
    about = "ml-connector: commerce events into accounting, through sandboxed WebAssembly plugins"
)]
struct Cli {
    /// Where built components are (`plugins`) or go (`plugin build`, `demo`); default
    /// <workspace>/target/plugins. Flows use the config's [plugins] dir.
    #[arg(long, global = true, value_name = "DIR")]
    plugins: Option<PathBuf>,
    /// Log filter for stderr, e.g. `info`, `mlc_host=debug,plugin=trace` (default: warn; `mlc run`:
    /// info).
    #[arg(long, global = true, value_name = "FILTER")]
    log: Option<String>,
    /// How log lines are written: `text` for people, `json` for a log pipeline (one object per
    /// line; an attempt's lines carry its event id, flow and attempt, a plugin call's its plugin,
    /// version, export and connection, as in the audit trail).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// The configuration file of `run`, `ping`, `events`, `replay`, `review` and `plugin
    /// install|list|rollback`.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "MLC_CONFIG",
        default_value = "mlc.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

/// A wasm target `mlc plugin build --target` can ask for.
#[derive(Clone, Copy, clap::ValueEnum)]
enum BuildTarget {
    #[value(name = "wasm32-wasip2")]
    Wasm32Wasip2,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Load the built components and list them.
    ///
    /// Each component in the plugin directory (--plugins) is validated, compiled and asked to
    /// describe itself; one row each: name, version, world, contract version, capabilities and
    /// content hash.
    Plugins,
    /// Build, scaffold, install, list and roll back plugins.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
    /// Run both flows, Shopify → Sage Intacct and ShipStation → Sage Intacct, on built-in
    /// simulators.
    ///
    /// Builds the workspace's plugins, starts simulators of a shop, a ShipStation account and an
    /// Intacct company, and serves both flows in process: a day of Shopify orders, refunds and
    /// cancellations, then a shipping day of ShipStation labels and voids. Prints the events, the
    /// books in Intacct, the freight by carrier and warehouse, and the sandbox refusing a request
    /// off the allowlist and stopping an endless loop. Run it inside the ml-connector workspace;
    /// its config, inbox and audit trail stay in a temporary directory it names.
    Demo {
        /// Keep the host, its console and the simulators up until Ctrl-C after the demo, to
        /// click through its events in the console.
        #[arg(long)]
        serve: bool,
    },
    /// A playground: simulators of a shop, a ShipStation account and an Intacct company to try
    /// flows on by hand, and the commands that make things happen in them.
    Sim {
        /// The playground's control address (default: the one in playground.url beside the
        /// config).
        #[arg(long, global = true, env = "MLC_PLAYGROUND", value_name = "URL")]
        playground: Option<String>,
        #[command(subcommand)]
        command: SimCommand,
    },
    /// Serve the config's flows until SIGTERM or Ctrl-C.
    ///
    /// Webhooks, polling, workers, and the admin API when the config has an [admin] token; a
    /// plugin installed meanwhile serves the events that start after it. On SIGTERM or Ctrl-C it
    /// refuses new webhooks, finishes the events in hand and leaves the rest for the next start.
    Run,
    /// Test a connection through its connector; on failure, say what to fix.
    Ping {
        /// The connection's name in the config.
        connection: String,
    },
    /// List or inspect events and their audit trail.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// Run a done, failed or skipped event again from the start (its sink skips what it already
    /// carried out).
    Replay {
        /// The event's id (see `mlc events list`).
        id: Option<i64>,
        /// Replay every failed event instead.
        #[arg(long, conflicts_with = "id")]
        failed: bool,
        /// Instead: run the event's recorded attempt again on its recording (the source's
        /// recorded answers, storage and clock), with no network and without posting anything,
        /// and report whether its requests, records and commands come out as recorded. Exit
        /// status 2 when they differ.
        #[arg(long, requires = "id", conflicts_with = "failed")]
        deterministic: bool,
        /// With --deterministic: run this component in place of the recorded version of the
        /// plugin NAME (a connector or mapping upgrade, checked on recorded traffic). Repeat
        /// for more.
        #[arg(long, value_name = "NAME=FILE", requires = "deterministic")]
        plugin: Vec<String>,
        /// With --deterministic: the report as JSON.
        #[arg(long, requires = "deterministic")]
        json: bool,
    },
    /// Run a candidate mapping over a flow's recorded events, never calling the sink, and
    /// report what it would post differently.
    ///
    /// Each event's last recorded attempt gives the records, config and settings its mapping
    /// saw; the candidate maps them in its own sandbox. Per event: unchanged, changed (with the
    /// commands' differences), new failure, to review, or not replayable (no recording). Then
    /// the accounting effect: debit and credit deltas per GL account and per dimension, and the
    /// invoices whose total changes. Exit status 2 when anything would post differently.
    DryRun {
        /// The flow whose events to run over.
        #[arg(long)]
        flow: String,
        /// The candidate mapping component (.wasm).
        #[arg(long, value_name = "FILE")]
        mapping: PathBuf,
        /// The events received since then: RFC 3339 or a duration ago (30d, 12h); default 7d.
        #[arg(long, value_name = "WHEN", conflicts_with = "events")]
        since: Option<String>,
        /// These events instead, e.g. 3,5,8.
        #[arg(long, value_name = "IDS")]
        events: Option<String>,
        /// The report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Walk a flow's source history into the inbox: what changed from --since to --until.
    ///
    /// The source lists its history page by page (Shopify: orders updated in the range and
    /// their refunds; ShipStation: labels created or voided in it) within its rate limits. Each
    /// event goes into the inbox with the same dedupe as webhooks and polls, so what is there is
    /// skipped and nothing posts twice; `mlc run` posts the rest (a running host picks them up
    /// at once). Progress goes to stderr. Ctrl-C, a crash or a kill stops between pages: the same
    /// command resumes where it stopped.
    Backfill {
        /// The flow whose source to walk.
        #[arg(long)]
        flow: String,
        /// From: a date (2026-11-01, midnight UTC), an RFC 3339 time, or a duration ago (30d).
        #[arg(long, value_name = "WHEN")]
        since: String,
        /// To (not included), as --since; default now.
        #[arg(long, value_name = "WHEN")]
        until: Option<String>,
    },
    /// Compare a flow's source with Intacct for a period, and report what differs.
    ///
    /// The source's records of the period (orders and refunds, or labels) are mapped by the
    /// flow's mapping, never posted, and set beside Intacct's invoices, credit memos, payments
    /// and GL batches of the period: each is matched, missing in Intacct, differs in amount
    /// (invoice total, payments applied, credit memo, GL batch), or is only in Intacct. Totals
    /// per currency follow. Exit status 2 when anything differs.
    ///
    /// With --fix, what a fix can settle is queued in the inbox for `mlc run` to post: a missing
    /// document's commands (under new keys when Intacct lost it after it was posted), a
    /// correcting GL batch of the difference per account. What it cannot settle is listed with
    /// what a person does; the exit status is then 2 only when something is left.
    Reconcile {
        /// The flow to reconcile.
        #[arg(long)]
        flow: String,
        /// The first day (2026-11-01, UTC).
        #[arg(long, value_name = "DAY")]
        from: String,
        /// The last day, included.
        #[arg(long, value_name = "DAY")]
        to: String,
        /// The report as JSON.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// The findings as CSV, one line each, matched ones included.
        #[arg(long)]
        csv: bool,
        /// Queue the fix of each difference that has one, for `mlc run` to post.
        #[arg(long)]
        fix: bool,
    },
    /// List and settle the events held for a person's decision.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
}

#[derive(Subcommand)]
enum SimCommand {
    /// Start the simulators and write an mlc.toml for them; serve until Ctrl-C.
    ///
    /// Builds the connectors and mappings of the checkout this mlc was built from (or takes
    /// them from --plugins DIR), starts the simulated shop, ShipStation account and Intacct
    /// company, and writes DIR/mlc.toml with their connections (secrets in DIR/secrets, 0600),
    /// the built-in flows unless --bare, an admin token for the console, and a free port for
    /// `mlc run`. The other `mlc sim` commands, run in DIR, drive these simulators.
    Start {
        /// Where the config goes; must not exist or be empty.
        #[arg(long, value_name = "DIR", default_value = "playground")]
        dir: PathBuf,
        /// Only the connections, no flows: for a flow of your own.
        #[arg(long)]
        bare: bool,
    },
    /// Subscribe the shop's and ShipStation's webhooks to a host.
    Subscribe {
        /// The host's address (default: the config's [server] listen).
        url: Option<String>,
    },
    /// Place an order in the shop (default: 2 T-shirts at 25.00 less 5.00 and 3 mugs at
    /// 14.99, 7.25 % tax, 8.00 shipping, paid).
    Order {
        /// A line instead of the default ones: SKU:QUANTITY:PRICE, e.g. MUG-1:2:14.99 (repeat
        /// for more lines).
        #[arg(long = "line", value_name = "SKU:QTY:PRICE")]
        lines: Vec<String>,
        /// The shipping charged.
        #[arg(long, value_name = "AMOUNT")]
        shipping: Option<String>,
        /// Leave it unpaid (`mlc sim pay` pays it).
        #[arg(long)]
        unpaid: bool,
    },
    /// Pay an unpaid order.
    Pay {
        /// The order's id (as `mlc sim order` printed it).
        order: String,
    },
    /// Refund an order: everything left, or the lines named.
    Refund {
        /// The order's id.
        order: String,
        /// Refund only this: SKU:QUANTITY (repeat for more lines); the shipping is then kept.
        #[arg(long = "line", value_name = "SKU:QTY")]
        lines: Vec<String>,
    },
    /// Cancel an order.
    Cancel {
        /// The order's id.
        order: String,
        /// Why: customer, fraud, inventory, declined or other.
        #[arg(long, default_value = "customer")]
        reason: String,
    },
    /// Buy a ShipStation label (its SHIP_NOTIFY webhook goes out).
    Label {
        /// The order it ships.
        #[arg(long, value_name = "NUMBER")]
        order_number: Option<String>,
        /// The carrier's code, e.g. ups, fedex, stamps_com.
        #[arg(long)]
        carrier: Option<String>,
        /// What the label cost.
        #[arg(long, value_name = "AMOUNT")]
        cost: Option<String>,
    },
    /// Void a ShipStation label (no webhook: the flow's poll sees it).
    Void {
        /// The label's shipment id (as `mlc sim label` printed it).
        label: String,
    },
    /// Add a GL account to the Intacct company's chart.
    Account {
        /// The account number, e.g. 4050.
        number: String,
        /// Its title, e.g. "Gift card revenue".
        title: String,
    },
    /// Add a dimension value to the Intacct company.
    Dimension {
        /// Which dimension.
        #[arg(value_enum)]
        kind: sim::Dimension,
        /// The new value's id, e.g. MKT.
        id: String,
    },
    /// The Intacct company's books: invoices, GL batches, balances.
    Ledger {
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum EventsCommand {
    /// List events, the newest first.
    List {
        /// Only events in this status: pending, running, retry, done, review, failed or skipped.
        #[arg(long)]
        status: Option<Status>,
        /// Only this flow's events.
        #[arg(long)]
        flow: Option<String>,
        /// Only events of this topic, e.g. `orders/paid`.
        #[arg(long)]
        topic: Option<String>,
        /// Only events whose reference contains this text (e.g. an order number).
        #[arg(long)]
        text: Option<String>,
        /// Received since: an RFC 3339 time, or a duration ago (`2h`, `30m`, `7d`).
        #[arg(long)]
        since: Option<String>,
        /// Only events older than this id (the next page after a listing that ended at it).
        #[arg(long)]
        before: Option<i64>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One event and its audit trail: every step, plugin version, request and created id.
    Show {
        /// The event's id (see `mlc events list`).
        id: i64,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ReviewCommand {
    /// The events waiting for review, with their reasons.
    List,
    /// Settle a held event: post it (with a decision for the mapping), or skip it.
    Resolve {
        /// The event's id (see `mlc review list`).
        id: i64,
        /// The decision, JSON, given to the mapping in its config under `resolution` (default `{}`:
        /// post as is).
        #[arg(long, value_name = "JSON")]
        with: Option<String>,
        /// Do not post it; say why.
        #[arg(long, value_name = "WHY")]
        skip: Option<String>,
    },
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Build plugins into components.
    ///
    /// Every crate under <workspace>/plugins/, or, in a plugin crate of its own (as `mlc plugin
    /// new` makes), that crate; in a JavaScript or Python project (`mlc plugin new --lang js`,
    /// `--lang python`), that project, with its language's toolchain, installed into the project
    /// (pinned, from npm or PyPI) the first time. The components go to
    /// <workspace>/target/plugins (or --plugins DIR).
    Build {
        /// The plugin workspace, crate or project (default: the one around the current
        /// directory).
        #[arg(long, value_name = "DIR")]
        workspace: Option<PathBuf>,
        /// Build Rust plugins for this target instead of the first one this machine reaches:
        /// `wasm32-wasip2` makes standard WASI 0.2 components (rustup's target, or Debian's
        /// rustc-web with wasi-libc, installed by plugins/toolchain.sh).
        #[arg(long, value_enum, value_name = "TARGET")]
        target: Option<BuildTarget>,
    },
    /// Make a new plugin from the SDK's template: a Rust crate, or a JavaScript or Python
    /// project.
    New {
        /// What kind of plugin.
        #[arg(value_enum)]
        kind: scaffold::Kind,
        /// The language it is written in.
        #[arg(long, value_enum, default_value = "rust")]
        lang: scaffold::Lang,
        /// The plugin's name, also its crate's: lower-case letters and digits in words joined by
        /// `-`, starting with a letter.
        name: String,
        /// Where to create it (default: ./NAME).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// The ml-connector SDK to depend on (default: the one this mlc was built with).
        #[arg(long, value_name = "DIR")]
        sdk: Option<PathBuf>,
    },
    /// Install a component as the active version of its name, for new events.
    ///
    /// Validates and precompiles it, checks the config's flows against it, keeps it by content
    /// hash and makes it active; a running `mlc run` picks it up within a second. Refused, with
    /// nothing changed, if the config would not work with it.
    Install {
        /// The component, e.g. target/plugins/my-mapping.wasm.
        file: PathBuf,
        /// A mapping: run it over the recent recorded events of the flows that map with its
        /// name first (see `mlc dry-run`), and install it only if nothing would post
        /// differently.
        #[arg(long)]
        dry_run: bool,
        /// With --dry-run: the events received since then (RFC 3339 or a duration ago, e.g.
        /// 7d); default 7d.
        #[arg(long, requires = "dry_run", value_name = "WHEN")]
        since: Option<String>,
        /// With --dry-run: install even though the dry-run shows the postings change.
        #[arg(long, requires = "dry_run")]
        accept_changes: bool,
    },
    /// List the plugin versions the config's data directory keeps.
    ///
    /// Those installed and those taken from the config's plugin directory: the active one of
    /// each name, and the earlier ones.
    List {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Make the version installed before the active one active again.
    ///
    /// Checked against the config as an install is; a running `mlc run` picks it up within a
    /// second.
    Rollback {
        /// The plugin's name.
        name: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_log = match cli.command {
        Command::Run => "info",
        _ => "warn",
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            cli.log.as_deref().unwrap_or(default_log),
        ))
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(true)
            .init(),
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mlc: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.is::<differs::Differs>() => {
            eprintln!("mlc: {error:#}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("mlc: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Plugins => {
            let dir = plugins::dir(cli.plugins, None)?;
            plugins::list(&dir).await
        }
        Command::Plugin {
            command: PluginCommand::Build { workspace, target },
        } => {
            let start = match &workspace {
                Some(dir) => dir.clone(),
                None => anyhow::Context::context(
                    std::env::current_dir(),
                    "cannot read the current directory",
                )?,
            };
            if let Some(project) = plugin_projects::Project::find(&start)? {
                if target.is_some() {
                    anyhow::bail!(
                        "--target is for Rust plugin crates; {} builds with its language's \
                         toolchain",
                        project.root.display()
                    );
                }
                let dir = plugins::dir(cli.plugins, Some(&project.root))?;
                return plugin_projects::build(&project, &dir).await;
            }
            let workspace = workspace::root(workspace)?;
            let dir = plugins::dir(cli.plugins, Some(&workspace))?;
            let target = match target {
                Some(BuildTarget::Wasm32Wasip2) => PluginTarget::Wasip2,
                None => PluginTarget::Any,
            };
            plugins::build(&workspace, &dir, target).await.map(drop)
        }
        Command::Plugin {
            command:
                PluginCommand::New {
                    kind,
                    lang,
                    name,
                    dir,
                    sdk,
                },
        } => scaffold::new_project(kind, lang, &name, dir, sdk),
        Command::Plugin {
            command:
                PluginCommand::Install {
                    file,
                    dry_run: false,
                    ..
                },
        } => installs::install(&Config::load(&cli.config)?, &file).await,
        Command::Plugin {
            command:
                PluginCommand::Install {
                    file,
                    dry_run: true,
                    since,
                    accept_changes,
                },
        } => {
            let config = Config::load(&cli.config)?;
            dry_run::install(&config, &file, since.as_deref(), accept_changes).await
        }
        Command::Plugin {
            command: PluginCommand::List { json },
        } => installs::list(&Config::load(&cli.config)?, json).await,
        Command::Plugin {
            command: PluginCommand::Rollback { name },
        } => installs::rollback(&Config::load(&cli.config)?, &name).await,
        Command::Demo { serve } => {
            let workspace = workspace::root(None)?;
            let dir = plugins::dir(cli.plugins, Some(&workspace))?;
            demo::run(&workspace, &dir, serve).await
        }
        Command::Sim {
            playground,
            command,
        } => {
            let find = || sim::Playground::find(playground.clone(), &cli.config);
            match command {
                SimCommand::Start { dir, bare } => sim::start(&dir, bare, cli.plugins).await,
                SimCommand::Subscribe { url } => find()?.subscribe(url, &cli.config).await,
                SimCommand::Order {
                    lines,
                    shipping,
                    unpaid,
                } => find()?.order(&lines, shipping, unpaid).await,
                SimCommand::Pay { order } => find()?.pay(&order).await,
                SimCommand::Refund { order, lines } => find()?.refund(&order, &lines).await,
                SimCommand::Cancel { order, reason } => find()?.cancel(&order, &reason).await,
                SimCommand::Label {
                    order_number,
                    carrier,
                    cost,
                } => find()?.label(order_number, carrier, cost).await,
                SimCommand::Void { label } => find()?.void(&label).await,
                SimCommand::Account { number, title } => find()?.account(&number, &title).await,
                SimCommand::Dimension { kind, id } => find()?.dimension(kind, &id).await,
                SimCommand::Ledger { json } => find()?.ledger(json).await,
            }
        }
        Command::Run => {
            let json_logs = matches!(cli.log_format, LogFormat::Json);
            run::run(Config::load(&cli.config)?, json_logs).await
        }
        Command::Ping { connection } => {
            events::ping(&Config::load(&cli.config)?, &connection).await
        }
        Command::Events { command } => {
            let config = Config::load(&cli.config)?;
            match command {
                EventsCommand::List {
                    status,
                    flow,
                    topic,
                    text,
                    since,
                    before,
                    limit,
                    json,
                } => {
                    let since = since
                        .map(|since| flow::parse_since(&since, chrono::Utc::now()))
                        .transpose()
                        .map_err(anyhow::Error::msg)?;
                    events::list(
                        &config,
                        EventFilter {
                            status,
                            flow,
                            topic,
                            text,
                            since,
                            before,
                            limit,
                        },
                        json,
                    )
                }
                EventsCommand::Show { id, json } => events::show(&config, id, json),
            }
        }
        Command::Reconcile {
            flow,
            from,
            to,
            json,
            csv,
            fix,
        } => {
            let config = Config::load(&cli.config)?;
            let format = match (json, csv) {
                (true, _) => reconcile::Format::Json,
                (_, true) => reconcile::Format::Csv,
                _ => reconcile::Format::Text,
            };
            reconcile::reconcile(&config, &flow, (&from, &to), format, fix).await
        }
        Command::Backfill { flow, since, until } => {
            let config = Config::load(&cli.config)?;
            backfill::backfill(&config, &flow, &since, until.as_deref()).await
        }
        Command::DryRun {
            flow,
            mapping,
            since,
            events,
            json,
        } => {
            let config = Config::load(&cli.config)?;
            let selection = (since.as_deref(), events.as_deref());
            dry_run::dry_run(&config, &flow, &mapping, selection, json).await
        }
        Command::Replay {
            id: Some(id),
            deterministic: true,
            plugin,
            json,
            ..
        } => replay::deterministic(&Config::load(&cli.config)?, id, &plugin, json).await,
        Command::Replay { id, failed, .. } => {
            events::replay(&Config::load(&cli.config)?, id, failed)
        }
        Command::Review { command } => {
            let config = Config::load(&cli.config)?;
            match command {
                ReviewCommand::List => events::review_list(&config),
                ReviewCommand::Resolve { id, with, skip } => {
                    events::resolve(&config, id, with, skip)
                }
            }
        }
    }
}
