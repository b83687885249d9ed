//! The `otp-server` binary: parse the command line, set up logging, run until Ctrl-C or SIGTERM.
//!
//! Whatever stops it early is said in one line on stderr, never as a stack trace (whatever
//! `RUST_BACKTRACE` says): a configuration that cannot work exits with status 2, as for a flag
//! that does not parse; a failure at run time (the port is taken, the database is unreachable)
//! with status 1.

use anyhow::Context;
use clap::Parser;
use otp_server::config::{Cli, Command, ConfigError, LogFormat};
use otp_server::{Application, Clock, SystemClock, admin};
use std::process::ExitCode;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

/// The status of a configuration that cannot work (clap's own for a bad flag).
const CONFIG_STATUS: u8 = 2;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `--help` and `--version` are answers, not errors.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // What clap says before the usage (the flag, the problem, the arguments missing, a
            // similar flag) on one line; the usage is what `--help` shows.
            let rendered = e.to_string();
            let said: Vec<&str> = rendered
                .lines()
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            eprintln!("{}", said.join(" "));
            return ExitCode::from(CONFIG_STATUS);
        }
    };
    // The operator's commands print their answer on standard output: only warnings beside it.
    let quiet = !matches!(cli.command, None | Some(Command::Serve | Command::Migrate));
    let default_level = if quiet { "warn" } else { "info" };
    let logs = tracing_subscriber::fmt().with_env_filter(
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level)),
    );
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            if e.chain().any(|cause| cause.is::<ConfigError>()) {
                ExitCode::from(CONFIG_STATUS)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    // The operator's changes send their webhook events as the server's do.
    // On a new machine the data directory (the default SQLite file's) may not exist yet: the
    // commands make it, as the server does, so `keys create` can come first.
    let open = || async {
        std::fs::create_dir_all(&cli.config.data_dir).with_context(|| {
            format!(
                "creating the data directory {}",
                cli.config.data_dir.display()
            )
        })?;
        let store = otp_server::store::connect(
            &cli.config.database_url(),
            cli.config.database_max_connections,
        )
        .await?;
        let (store, _) = otp_server::webhooks::attach(store, &cli.config).await?;
        anyhow::Ok(store)
    };
    let now = || SystemClock.now_ms();
    // What the operator's commands print, written at the end: stdout is not locked while the
    // database works (its logs may go to stdout too).
    let mut printed = Vec::new();
    match cli.command.clone().unwrap_or(Command::Serve) {
        Command::Migrate => {
            otp_server::store::connect(
                &cli.config.database_url(),
                cli.config.database_max_connections,
            )
            .await
            .context("applying the migrations")?;
            tracing::info!("migrations applied");
        }
        Command::Keys(command) => {
            let random = otp_server::Random::os();
            admin::keys(command, &open().await?, &random, now(), &mut printed).await?;
        }
        Command::Users(command) => {
            admin::users(command, &open().await?, now(), &mut printed).await?;
        }
        Command::SigningKeys(command) => {
            let random = otp_server::Random::os();
            let algorithm = cli.config.jwt_algorithm;
            admin::signing_keys(
                command,
                &open().await?,
                algorithm,
                &random,
                now(),
                &mut printed,
            )
            .await?;
        }
        Command::Webhooks(command) => {
            let random = otp_server::Random::os();
            admin::webhooks(command, &open().await?, &random, now(), &mut printed).await?;
        }
        Command::Sessions(command) => {
            let policy = &cli.config.policy;
            admin::sessions(command, &open().await?, policy, now(), &mut printed).await?;
        }
        Command::Serve => {
            let app = Application::build(cli.config, Arc::new(SystemClock)).await?;
            tracing::info!(addr = %app.local_addr()?, "otp-server listening");
            if let Some(addr) = app.backend_addr() {
                tracing::info!(addr = %addr?, "Backend API listening");
            }
            app.run_until(shutdown_signal()).await.context("serving")?;
        }
    }
    std::io::Write::write_all(&mut std::io::stdout(), &printed)?;
    Ok(())
}

/// The error and its causes joined by ": " on one line (a cause's own line breaks included), so
/// the message reads whole in a terminal and stays one record in a log collector.
fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
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
