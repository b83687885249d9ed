//! Metrics for the operator, in Prometheus text format at `GET /metrics` on the Backend API's
//! address (with a secret key, as every Backend API request): what the server does (codes
//! prepared, sent, verified, refused; limits hit; fraud blocks; lock-outs; sessions) and how long
//! each route takes, recorded with the `metrics` crate and rendered by
//! `metrics-exporter-prometheus`. [`METRICS`] lists them all (`docs/backend-api.md` too; a test
//! checks both against a real scrape).

use crate::clock::Stopwatch;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// The request-duration histogram.
pub const HTTP_DURATION: &str = "otp_http_request_duration_seconds";

/// Every metric: name, type and labels, and what it counts.
pub const METRICS: &[(&str, &str)] = &[
    (
        "otp_codes_prepared_total",
        "counter {channel: sms|email, purpose: code|notice|decoy}: codes made and queued (a notice is a message without a code: a sign-up attempt on an existing account, an identifier change; a decoy is enumeration protection's message that goes nowhere)",
    ),
    (
        "otp_messages_sent_total",
        "counter {channel}: messages a provider accepted (or, in dev mode, printed)",
    ),
    (
        "otp_delivery_failures_total",
        "counter {channel, kind: transient|permanent}: failed sends (a transient one is retried)",
    ),
    (
        "otp_codes_verified_total",
        "counter {purpose: sign_up|sign_in|add_identifier|reverify}: right codes",
    ),
    (
        "otp_codes_failed_total",
        "counter {reason: incorrect|too_many_attempts|expired|already_used}: codes refused",
    ),
    (
        "otp_rate_limited_total",
        "counter {limit: identifier|ip|sms_country|sms_global|sms_prefix|create}: requests refused by a send or create limit (429)",
    ),
    (
        "otp_fraud_blocks_total",
        "counter: SMS-pumping blocks imposed on a destination prefix",
    ),
    (
        "otp_lockouts_total",
        "counter: identifiers locked after too many consecutive wrong codes",
    ),
    (
        "otp_sessions_created_total",
        "counter: sessions started by a sign-up or sign-in",
    ),
    (
        "otp_sessions_ended_total",
        "counter {reason: signed_out|revoked}: sessions ended (revoked: by the user elsewhere, the operator, or a ban)",
    ),
    (
        "otp_users_created_total",
        "counter: users created (sign-ups and imports)",
    ),
    ("otp_users_deleted_total", "counter: users deleted"),
    (
        "otp_outbox_depth",
        "gauge {queue: messages|webhooks}: messages and webhook events waiting to go out",
    ),
    (
        "otp_outbox_oldest_age_seconds",
        "gauge {queue}: how long the oldest of them has waited (0 when none)",
    ),
    (
        HTTP_DURATION,
        "histogram {method, route, status}: request durations, by route as declared (`/v1/client/sign_ins/{id}`)",
    ),
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use (metrics are global to a process: servers
/// started in one process, as in tests, share their counters).
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(HTTP_DURATION.into()),
                    &[
                        0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                        2.5, 10.0,
                    ],
                )
                .map(PrometheusBuilder::build_recorder)
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed: /metrics will be empty");
            }
            for (name, help) in METRICS {
                metrics::describe_counter!(*name, *help);
            }
            handle
        })
        .clone()
}

/// Times every request of a router by method, route (as declared, never the ids in the path)
/// and status.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Stopwatch::start();
    let res = next.run(req).await;
    metrics::histogram!(
        HTTP_DURATION,
        "method" => method,
        "route" => route,
        "status" => res.status().as_u16().to_string()
    )
    .record(started.elapsed_secs());
    res
}

/// `GET /metrics`: every metric, with the outboxes' depth and age read now.
pub async fn scrape(State(state): State<AppState>) -> Response {
    let now = state.now();
    let queues = [
        ("messages", state.store.outbox_backlog().await),
        ("webhooks", state.store.webhook_backlog().await),
    ];
    for (queue, backlog) in queues {
        match backlog {
            Ok((depth, oldest)) => {
                metrics::gauge!("otp_outbox_depth", "queue" => queue).set(depth as f64);
                let age = oldest.map_or(0.0, |t| (now - t).max(0) as f64 / 1000.0);
                metrics::gauge!("otp_outbox_oldest_age_seconds", "queue" => queue).set(age);
            }
            Err(e) => tracing::error!(error = ?e, queue, "reading the outbox for /metrics"),
        }
    }
    let handle = handle();
    handle.run_upkeep();
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        handle.render(),
    )
        .into_response()
}
