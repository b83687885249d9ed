//! The `otp-server` binary: parse the command line, set up logging, run until Ctrl-C or SIGTERM.

use clap::Parser;
use otp_server::config::{Cli, Command};
use otp_server::{Application, SystemClock};
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            otp_server::store::connect(
                &cli.config.database_url(),
                cli.config.database_max_connections,
            )
            .await?;
            tracing::info!("migrations applied");
        }
        Command::Serve => {
            let app = Application::build(cli.config, Arc::new(SystemClock)).await?;
            tracing::info!(addr = %app.local_addr()?, "otp-server listening");
            app.run_until(shutdown_signal()).await?;
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
