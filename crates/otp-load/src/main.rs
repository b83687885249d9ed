//! The `otp-load` command: `otp-load run …` loads a server; `otp-load sqlite-commit-rate`
//! measures this machine's SQLite commit rate.

use clap::{Parser, Subcommand};
use otp_load::LoadConfig;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "otp-load", about = "Load tool for otp-server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs N virtual users against a server and prints the report.
    Run {
        #[command(flatten)]
        config: LoadConfig,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Fills a server's database (migrated by the server) with users, sessions and a week of
    /// sends, to measure a grown service.
    Seed {
        #[command(flatten)]
        config: otp_load::seed::SeedConfig,
    },
    /// Measures small SQLite write transactions per second with the server's settings.
    SqliteCommitRate {
        /// How long to measure.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Where to put the scratch database (the disk the server's database is on).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run { config, json } => {
            let report = otp_load::run(&config).await?;
            print!("{report}");
            if let Some(path) = json {
                std::fs::write(&path, serde_json::to_vec_pretty(&report)?)?;
            }
        }
        Command::Seed { config } => {
            let start = otp_load::system::now();
            let seeded = otp_load::seed::seed(&config, otp_load::system::unix_ms()).await?;
            println!(
                "seeded {} users, {} sessions, {} sent messages, {} send events in {:.1} s",
                seeded.users,
                seeded.sessions,
                seeded.messages,
                seeded.send_events,
                otp_load::system::elapsed(start).as_secs_f64()
            );
        }
        Command::SqliteCommitRate { seconds, dir } => {
            let scratch = dir.join(format!(".otp-commit-rate-{}", std::process::id()));
            std::fs::create_dir_all(&scratch)?;
            let duration = Duration::from_secs_f64(seconds);
            let rate = otp_load::commit_rate::measure(&scratch, duration).await;
            std::fs::remove_dir_all(&scratch)?;
            println!("{:.0} commits/s", rate?);
        }
    }
    Ok(())
}
