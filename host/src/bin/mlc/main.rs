//! `mlc`, the command line over the ml-connector host library.

#[cfg(feature = "demo")]
mod demo;
mod events;
mod installs;
mod plugins;
mod run;
mod scaffold;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mlc_host::config::Config;
use mlc_host::flow::{self, EventFilter, Status};

#[derive(Parser)]
#[command(
    name = "mlc",
    version,
    about = "ml-connector: commerce events into accounting, through sandboxed WebAssembly plugins"
)]
struct Cli {
    /// Where built plugin components are (default: <workspace>/target/plugins).
    #[arg(long, global = true, value_name = "DIR")]
    plugins: Option<PathBuf>,
    /// Log filter, e.g. `info`, `mlc_host=debug,plugin=trace` (default: warn; `mlc run`: info).
    #[arg(long, global = true, value_name = "FILTER")]
    log: Option<String>,
    /// The configuration file of `run`, `ping`, `events`, `replay` and `review`.
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

#[derive(Subcommand)]
enum Command {
    /// Load every plugin in the plugin directory and list name, version, world and capabilities.
    Plugins,
    /// Build plugins into components.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
    /// Run the Shopify → Sage Intacct flow on the built-in simulators for a scripted day, and print
    /// the events and the books it left in Intacct.
    #[cfg(feature = "demo")]
    Demo,
    /// Serve the config's flows: webhooks, polling, workers, admin API. Stops on SIGTERM or Ctrl-C.
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
    /// Run an event again from the start (its sink skips what it already carried out).
    Replay {
        /// The event's id (see `mlc events list`).
        id: Option<i64>,
        /// Replay every failed event instead.
        #[arg(long, conflicts_with = "id")]
        failed: bool,
    },
    /// Events held for a person's decision.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
}

#[derive(Subcommand)]
enum EventsCommand {
    /// The newest events first.
    List {
        /// pending, running, retry, done, review, failed or skipped.
        #[arg(long)]
        status: Option<Status>,
        #[arg(long)]
        flow: Option<String>,
        /// Received since: an RFC 3339 time, or a duration ago (`2h`, `30m`, `7d`).
        #[arg(long)]
        since: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One event and its audit trail: every step, plugin version, request and created id.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ReviewCommand {
    /// The events waiting for review, with their reasons.
    List,
    /// Post a held event (with a decision for the mapping), or skip it.
    Resolve {
        id: i64,
        /// The decision, JSON, handed to the mapping as `resolution` (default `{}`: post as is).
        #[arg(long, value_name = "JSON")]
        with: Option<String>,
        /// Do not post it; say why.
        #[arg(long, value_name = "WHY")]
        skip: Option<String>,
    },
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Build plugins into components: every crate under <workspace>/plugins/, or, in a plugin
    /// crate of its own (as `mlc plugin new` makes), that crate.
    Build {
        /// The plugin workspace or plugin crate (default: the one around the current directory).
        #[arg(long, value_name = "DIR")]
        workspace: Option<PathBuf>,
    },
    /// Make a new plugin crate from the SDK's template.
    New {
        /// What kind of plugin.
        #[arg(value_enum)]
        kind: scaffold::Kind,
        /// The plugin's name (lower case, digits and `-`), also its crate's.
        name: String,
        /// Where to create the crate (default: ./NAME).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// The ml-connector SDK to depend on (default: the one this mlc was built with).
        #[arg(long, value_name = "DIR")]
        sdk: Option<PathBuf>,
    },
    /// Validate, precompile and keep a component, and make it the active version of its name for
    /// new events (a running `mlc run` picks it up within a second).
    Install {
        /// The component, e.g. target/plugins/my-mapping.wasm.
        file: PathBuf,
    },
    /// The installed plugins: the active version of each name, and the earlier ones.
    List {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Make the version installed before the active one active again.
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
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            cli.log.as_deref().unwrap_or(default_log),
        ))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mlc: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
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
            command: PluginCommand::Build { workspace },
        } => {
            let workspace = workspace::root(workspace)?;
            let dir = plugins::dir(cli.plugins, Some(&workspace))?;
            plugins::build(&workspace, &dir).map(drop)
        }
        Command::Plugin {
            command:
                PluginCommand::New {
                    kind,
                    name,
                    dir,
                    sdk,
                },
        } => scaffold::new_crate(kind, &name, dir, sdk),
        Command::Plugin {
            command: PluginCommand::Install { file },
        } => installs::install(&Config::load(&cli.config)?, &file).await,
        Command::Plugin {
            command: PluginCommand::List { json },
        } => installs::list(&Config::load(&cli.config)?, json).await,
        Command::Plugin {
            command: PluginCommand::Rollback { name },
        } => installs::rollback(&Config::load(&cli.config)?, &name).await,
        #[cfg(feature = "demo")]
        Command::Demo => {
            let workspace = workspace::root(None)?;
            let dir = plugins::dir(cli.plugins, Some(&workspace))?;
            demo::run(&workspace, &dir).await
        }
        Command::Run => run::run(Config::load(&cli.config)?).await,
        Command::Ping { connection } => {
            events::ping(&Config::load(&cli.config)?, &connection).await
        }
        Command::Events { command } => {
            let config = Config::load(&cli.config)?;
            match command {
                EventsCommand::List {
                    status,
                    flow,
                    since,
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
                            since,
                            limit,
                        },
                        json,
                    )
                }
                EventsCommand::Show { id, json } => events::show(&config, id, json),
            }
        }
        Command::Replay { id, failed } => events::replay(&Config::load(&cli.config)?, id, failed),
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
