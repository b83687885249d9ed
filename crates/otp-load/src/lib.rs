//! `otp-load`: drives an `otp-server` with N concurrent virtual users, each doing complete flows
//! on fresh identifiers through the real SDK, and reports completed flows per second, errors by
//! kind, and latency percentiles per step and per flow.
//!
//! # Layout
//! - [`LoadConfig`], [`run`]: the load itself (this file).
//! - [`report`]: the report, its percentiles, its text and JSON forms.
//! - [`commit_rate`]: this machine's SQLite commit rate with the server's settings, the physical
//!   bound of an embedded-database server.
//! - [`seed`]: `otp-load seed`, a million users and their past written into a server's
//!   database, to measure a grown service.
//! - [`system`]: the wall clock and the OS random source (the only module that reads them).

pub mod commit_rate;
pub mod report;
pub mod seed;
pub mod system;

use anyhow::Context;
use otp_client::{Client, Strategy};
use report::{Recorder, Report};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Which flow each virtual user repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowKind {
    /// create → prepare → read the code (dev outbox) → attempt → session active.
    SignUp,
    /// A sign-up (not timed), then the sign-in of that user: create → prepare → read the code →
    /// attempt → session active. The server must allow a second code within 30 s
    /// (`--send-interval-secs 0`).
    SignIn,
}

/// What to run.
#[derive(Debug, Clone, clap::Args, serde::Serialize)]
pub struct LoadConfig {
    /// Base URL of the server (in dev mode, with `--no-ip-limits`).
    #[arg(long, default_value = "http://127.0.0.1:8787")]
    pub url: String,
    /// Virtual users running at once.
    #[arg(long, short, default_value_t = 16)]
    pub concurrency: usize,
    /// Stop after this many seconds.
    #[arg(long, short, default_value_t = 10.0)]
    pub duration: f64,
    /// Stop after this many completed flows (whichever comes first).
    #[arg(long)]
    pub max_flows: Option<u64>,
    /// The flow to repeat.
    #[arg(long, value_enum, default_value_t = FlowKind::SignUp)]
    pub flow: FlowKind,
    /// Share of flows (0..1) that first try a wrong code.
    #[arg(long, default_value_t = 0.0)]
    pub wrong_ratio: f64,
    /// Allow a target that is not a loopback address.
    #[arg(long)]
    pub allow_remote: bool,
}

/// Runs the load and returns the report.
pub async fn run(config: &LoadConfig) -> anyhow::Result<Report> {
    ensure_loopback(&config.url, config.allow_remote)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(config.concurrency.max(1))
        .timeout(Duration::from_secs(30))
        .build()?;
    let run_id = system::random_tag()?;
    let deadline = system::now() + Duration::from_secs_f64(config.duration.max(0.0));
    let started = Arc::new(AtomicU64::new(0));
    let start = system::now();
    let users: Vec<_> = (0..config.concurrency.max(1))
        .map(|vu| {
            let (config, http, run_id, started) = (
                config.clone(),
                http.clone(),
                run_id.clone(),
                started.clone(),
            );
            tokio::spawn(async move {
                let mut recorder = Recorder::default();
                let mut seq = 0u64;
                while system::now() < deadline {
                    if let Some(max) = config.max_flows
                        && started.fetch_add(1, Ordering::SeqCst) >= max
                    {
                        break;
                    }
                    seq += 1;
                    let email = format!("load-{run_id}-{vu}-{seq}@bench.test");
                    let wrong_first = system::unit_random() < config.wrong_ratio;
                    let flow_start = system::now();
                    match flow(&config, &http, &email, wrong_first, &mut recorder).await {
                        Ok(()) => recorder.flow_done(system::elapsed(flow_start)),
                        Err(kind) => recorder.error(kind),
                    }
                }
                recorder
            })
        })
        .collect();
    let mut total = Recorder::default();
    for user in users {
        total.merge(user.await.context("a virtual user panicked")?);
    }
    Ok(total.report(config, system::elapsed(start)))
}

/// One flow; an error is named `step:code` (or `step:transport`).
async fn flow(
    config: &LoadConfig,
    http: &reqwest::Client,
    email: &str,
    wrong_first: bool,
    rec: &mut Recorder,
) -> Result<(), String> {
    let device =
        Client::with_http(&config.url, http.clone()).with_encoding(otp_client::Encoding::Json);
    let sign_in = config.flow == FlowKind::SignIn;
    if sign_in {
        // The account to sign in to, created first and not timed.
        untimed_sign_up(config, http, email).await?;
    }
    let t = system::now();
    let attempt_id = if sign_in {
        let s = device
            .sign_in()
            .create(email)
            .await
            .map_err(|e| kind("create", &e))?;
        s.id
    } else {
        let s = device
            .sign_up()
            .create_email(email)
            .await
            .map_err(|e| kind("create", &e))?;
        s.id
    };
    rec.step("create", system::elapsed(t));
    let t = system::now();
    if sign_in {
        let factor = otp_client::FirstFactor {
            strategy: Strategy::EmailCode,
            identifier_id: None,
        };
        device
            .sign_in()
            .prepare_first_factor_for(&attempt_id, factor)
            .await
            .map_err(|e| kind("prepare", &e))?;
    } else {
        device
            .sign_up()
            .prepare_verification_for(&attempt_id, Strategy::EmailCode)
            .await
            .map_err(|e| kind("prepare", &e))?;
    }
    rec.step("prepare", system::elapsed(t));
    let t = system::now();
    let code = device
        .dev_outbox(email)
        .await
        .map_err(|e| kind("fetch_code", &e))?
        .code;
    rec.step("fetch_code", system::elapsed(t));
    if wrong_first {
        let wrong = if code.ends_with('0') {
            format!("{}1", &code[..5])
        } else {
            format!("{}0", &code[..5])
        };
        let t = system::now();
        let refused = attempt(&device, sign_in, &attempt_id, &wrong).await;
        match refused {
            Err(e) if e.code().map(|c| c.as_str()) == Some("form_code_incorrect") => {
                rec.step("verify_wrong", system::elapsed(t))
            }
            Err(e) => return Err(kind("verify_wrong", &e)),
            Ok(_) => return Err("verify_wrong:accepted".into()),
        }
    }
    let t = system::now();
    let session_id = attempt(&device, sign_in, &attempt_id, &code)
        .await
        .map_err(|e| kind("verify", &e))?;
    rec.step("verify", system::elapsed(t));
    let active = device.state().is_some_and(|c| {
        c.sessions
            .iter()
            .any(|s| Some(&s.id) == session_id.as_ref())
    });
    if !active {
        return Err("verify:session-not-active".into());
    }
    Ok(())
}

async fn attempt(
    device: &Client,
    sign_in: bool,
    id: &str,
    code: &str,
) -> Result<Option<String>, otp_client::Error> {
    if sign_in {
        Ok(device
            .sign_in()
            .attempt_first_factor_for(id, Strategy::EmailCode, code)
            .await?
            .created_session_id)
    } else {
        Ok(device
            .sign_up()
            .attempt_verification_for(id, Strategy::EmailCode, code)
            .await?
            .created_session_id)
    }
}

async fn untimed_sign_up(
    config: &LoadConfig,
    http: &reqwest::Client,
    email: &str,
) -> Result<(), String> {
    let device =
        Client::with_http(&config.url, http.clone()).with_encoding(otp_client::Encoding::Json);
    let s = device
        .sign_up()
        .create_email(email)
        .await
        .map_err(|e| kind("setup", &e))?;
    device
        .sign_up()
        .prepare_verification_for(&s.id, Strategy::EmailCode)
        .await
        .map_err(|e| kind("setup", &e))?;
    let code = device
        .dev_outbox(email)
        .await
        .map_err(|e| kind("setup", &e))?
        .code;
    device
        .sign_up()
        .attempt_verification_for(&s.id, Strategy::EmailCode, &code)
        .await
        .map_err(|e| kind("setup", &e))?;
    Ok(())
}

fn kind(step: &str, e: &otp_client::Error) -> String {
    match e {
        otp_client::Error::Api(api) => format!("{step}:{}", api.code),
        otp_client::Error::Transport(_) => format!("{step}:transport"),
        otp_client::Error::Protocol(_) => format!("{step}:protocol"),
        otp_client::Error::State(_) => format!("{step}:state"),
    }
}

/// Refuses targets outside the loopback range unless told otherwise: a load test must not
/// become a denial of service against someone else's server.
pub fn ensure_loopback(url: &str, allow_remote: bool) -> anyhow::Result<()> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("invalid URL {url}"))?;
    let host = parsed
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let is_loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !is_loopback && !allow_remote {
        anyhow::bail!(
            "{url} is not a loopback address: pass --allow-remote to load a remote server"
        );
    }
    Ok(())
}
