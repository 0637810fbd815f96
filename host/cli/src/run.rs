//! `mlc run`: serves the config's flows until SIGTERM or Ctrl-C, then stops gracefully (webhooks
//! refused, running events finished or handed back for the next start). It installs the
//! Prometheus recorder of the host's metrics, served at `/metrics`. With JSON logs its own
//! messages are log lines too, so that stderr is one JSON object per line.

use metrics_exporter_prometheus::PrometheusBuilder;
use mlc_host::config::Config;
use mlc_host::flow::{self, Service};

pub async fn run(config: Config, json_logs: bool) -> anyhow::Result<()> {
    let say = |message: String| match json_logs {
        true => tracing::info!(target: "mlc", "{message}"),
        false => eprintln!("mlc: {message}"),
    };
    let recorder = PrometheusBuilder::new().install_recorder()?;
    mlc_host::metrics::serve_with(move || recorder.render());
    let host = flow::open_host(&config).await?;
    let flows = config.flows.len();
    let service = Service::start(host, config).await?;
    say(format!(
        "serving {flows} flow(s); webhooks at http://{}/webhooks/<connection>{}",
        service.local_addr(),
        match service.recovered() {
            0 => String::new(),
            n => format!("; resumed {n} event(s) a previous run left unfinished"),
        }
    ));
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

async fn stop_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = terminate.recv() => {}
        result = tokio::signal::ctrl_c() => result?,
    }
    Ok(())
}
