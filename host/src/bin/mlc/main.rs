//! `mlc`, the command line over the ml-connector host library.

mod demo;
mod plugins;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// Log filter, e.g. `info`, `mlc_host=debug,plugin=trace` (default: warn).
    #[arg(long, global = true, value_name = "FILTER", default_value = "warn")]
    log: String,
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
    /// Build and load every plugin, then run an event through the testkit flow in the sandbox.
    Demo,
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Build every crate under <workspace>/plugins/ into a component in the plugin directory.
    Build {
        /// The Cargo workspace holding the plugin crates (default: the one around the current
        /// directory).
        #[arg(long, value_name = "DIR")]
        workspace: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&cli.log))
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
        Command::Demo => {
            let workspace = workspace::root(None)?;
            let dir = plugins::dir(cli.plugins, Some(&workspace))?;
            demo::run(&workspace, &dir).await
        }
    }
}
