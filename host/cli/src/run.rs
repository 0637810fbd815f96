//! `mlc run`: serves the config's flows until SIGTERM or Ctrl-C, then stops gracefully (webhooks
//! refused, running events finished or handed back for the next start). It installs the
//! Prometheus recorder of the host's metrics, served at `/metrics` (as `mlc demo` does, with
//! [`record_metrics`] and [`stop_signal`]). With JSON logs its own messages are log lines too, so
//! that stderr is one JSON object per line.

use metrics_exporter_prometheus::PrometheusBuilder;
use mlc_host::config::Config;
use mlc_host::flow::{self, Service};

pub async fn run(config: Config, json_logs: bool) -> anyhow::Result<()> {
    let say = |message: String| match json_logs {
        true => tracing::info!(target: "mlc", "{message}"),
        false => eprintln!("mlc: {message}"),
    };
    record_metrics()?;
    let host = flow::open_host(&config).await?;
    let flows = config.flows.len();
    let console = config.admin_token.is_some();
    let service = Service::start(host, config).await?;
    say(format!(
        "serving {flows} flow(s); webhooks at http://{}/webhooks/<connection>{}",
        service.local_addr(),
        match service.recovered() {
            0 => String::new(),
            n => format!("; resumed {n} event(s) a previous run left unfinished"),
        }
    ));
    if console {
        say(format!("the console at {}", console_url(&service)));
    }
    stop_signal().await?;
    say("stopping: no new webhooks; finishing the events in hand".to_owned());
    let stopped = service.shutdown().await?;
    match stopped.released {
        0 => say("stopped".to_owned()),
        n => say(format!(
            "stopped; {n} unfinished event(s) run again at the next start"
        )),
    }
    Ok(())
}

/// Installs the Prometheus recorder of the host's metrics (once a process) and has the service's
/// `/metrics` answer with its text.
pub fn record_metrics() -> anyhow::Result<()> {
    let recorder = PrometheusBuilder::new().install_recorder()?;
    mlc_host::metrics::serve_with(move || recorder.render());
    Ok(())
}

/// The console's address: on the admin listener when `[admin] listen` is set, else beside the
/// webhooks.
pub fn console_url(service: &Service) -> String {
    let address = service.admin_addr().unwrap_or(service.local_addr());
    format!("http://{address}/ui")
}

/// Waits for SIGTERM or Ctrl-C.
pub async fn stop_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = terminate.recv() => {}
        result = tokio::signal::ctrl_c() => result?,
    }
    Ok(())
}
