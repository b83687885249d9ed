//! `otp-load`: drives an `otp-server` with N concurrent virtual users, each doing complete flows
//! on fresh identifiers over the protocol, and reports completed flows per second, errors by
//! kind, and latency percentiles per step and per flow.
//!
//! # Layout
//! - [`LoadConfig`], [`run`]: the load itself (this file).
//! - [`device`]: one virtual user's connection, client token and the few answer fields a flow
//!   reads (lean, so that the tool's CPU stays small beside the server's).
//! - [`report`]: the report, its percentiles, its text and JSON forms.
//! - [`commit_rate`]: this machine's SQLite commit rate with the server's settings, the physical
//!   bound of an embedded-database server.
//! - [`seed`]: `otp-load seed`, a million users and their past written into a server's
//!   database, to measure a grown service.
//! - [`system`]: the wall clock and the OS random source (the only module that reads them).

pub mod commit_rate;
pub mod device;
pub mod report;
pub mod seed;
pub mod system;

use anyhow::Context;
use device::{Device, Failure};
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
    let addr = ensure_loopback(&config.url, config.allow_remote)?;
    let run_id = system::random_tag()?;
    let deadline = system::now() + Duration::from_secs_f64(config.duration.max(0.0));
    let started = Arc::new(AtomicU64::new(0));
    let start = system::now();
    let users: Vec<_> = (0..config.concurrency.max(1))
        .map(|vu| {
            let (config, addr, run_id, started) = (
                config.clone(),
                addr.clone(),
                run_id.clone(),
                started.clone(),
            );
            tokio::spawn(async move {
                let mut recorder = Recorder::default();
                let mut device = None;
                let mut seq = 0u64;
                while system::now() < deadline {
                    if let Some(max) = config.max_flows
                        && started.fetch_add(1, Ordering::SeqCst) >= max
                    {
                        break;
                    }
                    seq += 1;
                    let email = format!("load-{run_id}-{vu}-{seq}@bench.test");
                    let wrong_first =
                        config.wrong_ratio > 0.0 && system::unit_random() < config.wrong_ratio;
                    let flow_start = system::now();
                    // A new device for each flow, on the virtual user's connection while the
                    // server keeps it open.
                    let open = match device.take() {
                        Some(d) if Device::is_open(&d) => Ok(d),
                        _ => Device::connect(&addr).await,
                    };
                    let result = match open {
                        Ok(mut d) => {
                            d.forget();
                            let result =
                                flow(&config, &mut d, &email, wrong_first, &mut recorder).await;
                            device = Some(d);
                            result
                        }
                        // No connection: the flow's first step got no answer.
                        Err(e) => Err(e.named("create")),
                    };
                    match result {
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

/// One flow on a device with no client token yet; an error is named `step:code` (or
/// `step:transport`, `step:protocol`).
async fn flow(
    config: &LoadConfig,
    device: &mut Device,
    email: &str,
    wrong_first: bool,
    rec: &mut Recorder,
) -> Result<(), String> {
    let sign_in = config.flow == FlowKind::SignIn;
    if sign_in {
        // The account to sign in to, created first (not timed), then a device of its own.
        sign_up_untimed(device, email).await?;
        device.forget();
    }
    let quoted = serde_json::to_string(email).map_err(|_| "create:protocol".to_owned())?;
    let (base, create_body, prepare, attempt) = if sign_in {
        (
            "/v1/client/sign_ins",
            format!(r#"{{"identifier":{quoted}}}"#),
            "prepare_first_factor",
            "attempt_first_factor",
        )
    } else {
        (
            "/v1/client/sign_ups",
            format!(r#"{{"email_address":{quoted}}}"#),
            "prepare_verification",
            "attempt_verification",
        )
    };
    let t = system::now();
    let id = device
        .post(base, create_body)
        .await
        .map_err(|e| e.named("create"))?
        .id;
    rec.step("create", system::elapsed(t));
    let t = system::now();
    device
        .post(
            &format!("{base}/{id}/{prepare}"),
            r#"{"strategy":"email_code"}"#.to_owned(),
        )
        .await
        .map_err(|e| e.named("prepare"))?;
    rec.step("prepare", system::elapsed(t));
    let t = system::now();
    let code = device
        .dev_code(email)
        .await
        .map_err(|e| e.named("fetch_code"))?;
    rec.step("fetch_code", system::elapsed(t));
    let attempt_path = format!("{base}/{id}/{attempt}");
    if wrong_first {
        let wrong = if code.ends_with('0') {
            format!("{}1", &code[..5])
        } else {
            format!("{}0", &code[..5])
        };
        let t = system::now();
        match device.post(&attempt_path, code_body(&wrong)).await {
            Err(Failure::Api(c)) if c == "form_code_incorrect" => {
                rec.step("verify_wrong", system::elapsed(t))
            }
            Err(e) => return Err(e.named("verify_wrong")),
            Ok(_) => return Err("verify_wrong:accepted".into()),
        }
    }
    let t = system::now();
    let answer = device
        .post(&attempt_path, code_body(&code))
        .await
        .map_err(|e| e.named("verify"))?;
    rec.step("verify", system::elapsed(t));
    if answer.active_session.is_none() {
        return Err("verify:session-not-active".into());
    }
    Ok(())
}

/// The body of an attempt with `code` (six digits: nothing to escape).
fn code_body(code: &str) -> String {
    format!(r#"{{"strategy":"email_code","code":"{code}"}}"#)
}

/// A complete sign-up of `email`, not timed (the account a sign-in flow signs in to).
async fn sign_up_untimed(device: &mut Device, email: &str) -> Result<(), String> {
    let setup = |e: Failure| e.named("setup");
    let quoted = serde_json::to_string(email).map_err(|_| "setup:protocol".to_owned())?;
    let base = "/v1/client/sign_ups";
    let id = device
        .post(base, format!(r#"{{"email_address":{quoted}}}"#))
        .await
        .map_err(setup)?
        .id;
    device
        .post(
            &format!("{base}/{id}/prepare_verification"),
            r#"{"strategy":"email_code"}"#.to_owned(),
        )
        .await
        .map_err(setup)?;
    let code = device.dev_code(email).await.map_err(setup)?;
    device
        .post(
            &format!("{base}/{id}/attempt_verification"),
            code_body(&code),
        )
        .await
        .map_err(setup)?;
    Ok(())
}

/// Refuses targets outside the loopback range unless told otherwise: a load test must not
/// become a denial of service against someone else's server. Returns the `host:port` to
/// connect to (plain HTTP: a load test measures the server, not TLS).
pub fn ensure_loopback(url: &str, allow_remote: bool) -> anyhow::Result<String> {
    let parsed: hyper::Uri = url.parse().with_context(|| format!("invalid URL {url}"))?;
    let host = parsed.host().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let is_loopback = bare == "localhost"
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !is_loopback && !allow_remote {
        anyhow::bail!(
            "{url} is not a loopback address: pass --allow-remote to load a remote server"
        );
    }
    anyhow::ensure!(
        parsed.scheme_str() == Some("http") && matches!(parsed.path(), "" | "/"),
        "{url}: the load tool speaks plain HTTP to a server's root (http://host:port)"
    );
    Ok(format!("{host}:{}", parsed.port_u16().unwrap_or(80)))
}
