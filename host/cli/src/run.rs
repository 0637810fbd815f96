//! `mlc run`: serves the config's flows until SIGTERM or Ctrl-C, then stops gracefully (webhooks
//! refused, running events finished or handed back for the next start).

use mlc_host::config::Config;
use mlc_host::flow::{self, Service};

pub async fn run(config: Config) -> anyhow::Result<()> {
    let host = flow::open_host(&config).await?;
    let flows = config.flows.len();
    let service = Service::start(host, config).await?;
    eprintln!(
        "mlc: serving {flows} flow(s); webhooks at http://{}/webhooks/<connection>{}",
        service.local_addr(),
        match service.recovered() {
            0 => String::new(),
            n => format!("; resumed {n} event(s) a previous run left unfinished"),
        }
    );
    stop_signal().await?;
    eprintln!("mlc: stopping: no new webhooks; finishing the events in hand");
    let stopped = service.shutdown().await?;
    match stopped.released {
        0 => eprintln!("mlc: stopped"),
        n => eprintln!("mlc: stopped; {n} unfinished event(s) run again at the next start"),
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
