//! Building the application from a configuration and an already-bound listener, so tests can bind
//! `127.0.0.1:0` and read the port back; serving it with limits on slow and idle connections
//! (`connections`).

mod connections;

use crate::browser;
use crate::caller;
use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::delivery::Delivery;
use crate::delivery::worker::Worker;
use crate::domain::IdentifierKind;
use crate::error::ApiError;
use crate::otp::CodeHasher;
use crate::routes;
use crate::sealed::Sealer;
use crate::state::AppState;
use crate::tokens::{JwtIssuer, JwtSettings};
use anyhow::Context;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::HeaderValue;
use axum::http::header::CONNECTION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Router, middleware};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::Layer;
use tower::util::MapRequestLayer;
use tower_http::trace::TraceLayer;

/// A server ready to run: state built, migrations applied, socket bound.
pub struct Application {
    listener: TcpListener,
    router: Router,
    /// The Backend API's own address and router, with `--backend-bind`.
    backend: Option<(TcpListener, Router)>,
    /// Connection limits.
    limits: connections::Limits,
    /// The delivery worker, when a provider is configured.
    worker: Option<Worker>,
    /// Rotates and reloads the signing keys.
    keys: KeyMaintenance,
    /// Removes expired and abandoned rows.
    janitor: crate::janitor::Janitor,
    /// Delivers webhook events, when there is an endpoint.
    webhooks: Option<crate::webhooks::Worker>,
}

/// Keeps this instance's signing keys in step with the database: rotates when the newest key is
/// older than the rotation period, and picks up keys other instances created.
struct KeyMaintenance {
    store: crate::store::Store,
    jwt: Arc<JwtIssuer>,
    /// Webhook endpoints made by `otp-server webhooks create` appear within one refresh.
    endpoints: crate::webhooks::Endpoints,
    clock: Arc<dyn crate::clock::Clock>,
    every: Duration,
}

impl KeyMaintenance {
    async fn run(self) {
        loop {
            tokio::time::sleep(self.every).await;
            if let Err(e) = self.jwt.refresh(&self.store, self.clock.now_ms()).await {
                tracing::error!(error = ?e, "refreshing the signing keys");
            }
            if let Err(e) = self.endpoints.refresh(&self.store).await {
                tracing::error!(error = ?e, "reloading the webhook endpoints");
            }
        }
    }
}

impl Application {
    /// Checks the configuration (a [`ConfigError`] before any I/O), opens the database, loads or
    /// creates the secrets, and binds the configured address.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        if config.random.is_seeded() && !config.dev {
            return Err(ConfigError::new(
                "a seeded random source makes codes and keys guessable: it is for dev mode only",
            )
            .into());
        }
        let delivery = Delivery::from_config(&config)?;
        // Installed before anything counts.
        crate::telemetry::handle();
        let default_region = Some(
            config
                .default_region
                .to_ascii_uppercase()
                .parse::<phonenumber::country::Id>()
                .map_err(|_| {
                    ConfigError::new(format!(
                        "--default-region {:?} is not an ISO 3166 country code",
                        config.default_region
                    ))
                })?,
        );
        let configured_key = config
            .hmac_key
            .as_ref()
            .map(|key| {
                // Not the decoder's error: base64's errors quote a character of the key.
                crate::secrets::decode_key(key.expose()).map_err(|_| {
                    ConfigError::new("--hmac-key (OTP_HMAC_KEY) must be 32 bytes in base64")
                })
            })
            .transpose()?;
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("creating the data directory {}", config.data_dir.display())
        })?;
        let store =
            crate::store::connect(&config.database_url(), config.database_max_connections).await?;
        let (store, endpoints) = crate::webhooks::attach(store, &config).await?;
        let hmac_key = crate::secrets::hmac_key(
            &store,
            &config.data_dir,
            configured_key,
            &config.random,
            clock.now_ms(),
        )
        .await?;
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("binding {}", config.bind))?;
        let backend_listener = match config.backend_bind {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding --backend-bind {addr}"))?,
            ),
            None => None,
        };
        let mut config = config;
        if config.issuer.is_none() {
            // With port 0 the issuer names the port actually bound.
            config.issuer = Some(format!("http://{}", listener.local_addr()?));
        }
        let jwt = Arc::new(
            JwtIssuer::load(
                &store,
                &config.data_dir,
                JwtSettings {
                    issuer: config.issuer(),
                    ttl_secs: i64::try_from(config.policy.jwt_ttl_secs)?,
                    rotation_ms: i64::try_from(config.jwt_rotation_secs)?.saturating_mul(1000),
                    algorithm: config.jwt_algorithm,
                },
                config.random.clone(),
                clock.now_ms(),
            )
            .await?,
        );
        let webhooks = crate::webhooks::Worker {
            store: store.clone(),
            endpoints: endpoints.clone(),
            clock: clock.clone(),
            poll: Duration::from_millis(config.delivery.delivery_poll_ms.max(10)),
            random: config.random.clone(),
            http: reqwest::Client::new(),
        };
        let keys = KeyMaintenance {
            store: store.clone(),
            jwt: jwt.clone(),
            endpoints,
            clock: clock.clone(),
            every: Duration::from_millis(config.key_refresh_ms.max(10)),
        };
        if config.policy.no_ip_limits {
            tracing::warn!(
                "--no-ip-limits: every per-IP limit is off (load testing only); per-identifier limits stay on"
            );
        }
        if config.protection.test_identifiers && !delivery.is_dev() {
            tracing::warn!(
                "--test-identifiers: phone numbers +1 XXX 555-0100 to 555-0199 and emails with the +otp_test subaddress sign in with the fixed code 424242; anyone who knows this can use such an account"
            );
        }
        if delivery.is_dev() {
            tracing::warn!(
                "dev mode: codes are printed to the console and served at /v1/dev/outbox; never use it in production"
            );
        }
        let sealer = Sealer::derive(&hmac_key);
        let wake = Arc::new(Notify::new());
        let uses_outbox = delivery.provider_for(IdentifierKind::Email)
            || delivery.provider_for(IdentifierKind::Phone);
        let worker = uses_outbox.then(|| Worker {
            store: store.clone(),
            delivery: delivery.clone(),
            clock: clock.clone(),
            sealer: sealer.clone(),
            wake: wake.clone(),
            poll: Duration::from_millis(config.delivery.delivery_poll_ms.max(10)),
            random: config.random.clone(),
        });
        let limits = connections::Limits {
            header_timeout: Duration::from_secs(config.edge.header_timeout_secs),
            idle_timeout: Duration::from_secs(config.edge.idle_timeout_secs),
            max_connections: config.edge.max_connections,
        };
        if !config.edge.trusted_proxies.is_empty() {
            tracing::info!(
                proxies = ?config.edge.trusted_proxies,
                header = ?config.edge.forwarded_header,
                "forwarding headers are read from these trusted proxies"
            );
        }
        let janitor = crate::janitor::Janitor::new(&config, store.clone(), clock.clone());
        let state = AppState {
            random: config.random.clone(),
            config: Arc::new(config),
            store,
            clock,
            hasher: CodeHasher::new(hmac_key),
            jwt,
            delivery,
            default_region,
            sealer,
            wake,
        };
        let backend = backend_listener.map(|l| (l, backend_app(state.clone())));
        Ok(Self {
            listener,
            limits,
            backend,
            router: app(state),
            worker,
            keys,
            janitor,
            webhooks: Some(webhooks),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The Backend API's own address actually bound (with `--backend-bind`).
    pub fn backend_addr(&self) -> Option<std::io::Result<SocketAddr>> {
        self.backend.as_ref().map(|(l, _)| l.local_addr())
    }

    /// Serves (and delivers queued messages) until `shutdown` resolves, then finishes the
    /// requests in flight. Messages not sent yet stay in the outbox for the next start.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let worker = self.worker.map(|w| tokio::spawn(w.run()));
        let keys = tokio::spawn(self.keys.run());
        let janitor = tokio::spawn(self.janitor.run());
        let webhooks = self.webhooks.map(|w| tokio::spawn(w.run()));
        // One shutdown for both addresses.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let when_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        let backend = self.backend.map(|(listener, router)| {
            tokio::spawn(connections::serve(
                listener,
                router,
                self.limits,
                when_stopped(stopped.clone()),
            ))
        });
        let served = connections::serve(
            self.listener,
            self.router,
            self.limits,
            when_stopped(stopped),
        )
        .await;
        if let Some(backend) = backend {
            let _ = backend.await;
        }
        if let Some(worker) = worker {
            worker.abort();
        }
        keys.abort();
        janitor.abort();
        if let Some(webhooks) = webhooks {
            webhooks.abort();
        }
        served
    }
}

/// The router with its middleware: body size limit, the browser-mode origin check, `_method`
/// tunnelling (before routing), the `--frontend-path` prefix, the whole body read within
/// `--body-timeout-secs`, the [`Caller`](crate::caller::Caller) (peer or trusted proxies' client),
/// CORS for the allowed origins, and request tracing.
pub fn app(state: AppState) -> Router {
    let config = state.config.clone();
    let api = routes::router(state.clone())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            browser::guard_origin,
        ))
        .layer(DefaultBodyLimit::max(config.max_body_bytes));
    let api = MapRequestLayer::new(browser::tunnel_method).layer(api);
    let mut app = Router::new().fallback_service(api.clone());
    if let Some(prefix) = &config.frontend_path {
        app = app.nest_service(prefix, api);
    }
    if config.backend_bind.is_none() {
        app = app.nest_service(&config.backend_path, crate::backend::router(state.clone()));
    }
    let body = BodyLimits {
        max_bytes: config.max_body_bytes,
        timeout: Duration::from_secs(config.edge.body_timeout_secs),
    };
    app = app
        .layer(middleware::from_fn_with_state(body, read_body_within))
        .layer(middleware::from_fn_with_state(
            Arc::new(config.edge.clone()),
            caller::identify,
        ));
    if let Some(cors) = browser::cors(&config.allowed_origins) {
        app = app.layer(cors);
    }
    app.layer(TraceLayer::new_for_http())
}

/// The Backend API on its own address (`--backend-bind`): its routes at `/v1/…`, with the same
/// body limits and request tracing as the public address.
fn backend_app(state: AppState) -> Router {
    let config = state.config.clone();
    let body = BodyLimits {
        max_bytes: config.max_body_bytes,
        timeout: Duration::from_secs(config.edge.body_timeout_secs),
    };
    crate::backend::router(state)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(middleware::from_fn_with_state(body, read_body_within))
        .layer(TraceLayer::new_for_http())
}

/// How much of a body is read, and for how long.
#[derive(Debug, Clone, Copy)]
struct BodyLimits {
    max_bytes: usize,
    timeout: Duration,
}

/// Reads the whole request body before anything else runs, within `--body-timeout-secs` from
/// the end of the headers: a client that trickles its body gets 408 `request_timeout` and its
/// connection is closed, instead of holding it as long as it likes. Bodies are small
/// (`--max-body-bytes`: larger ones get 413 here), so buffering them costs nothing.
async fn read_body_within(State(limits): State<BodyLimits>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let read = Limited::new(body, limits.max_bytes).collect();
    match tokio::time::timeout(limits.timeout, read).await {
        Ok(Ok(collected)) => {
            next.run(Request::from_parts(parts, Body::from(collected.to_bytes())))
                .await
        }
        Ok(Err(e)) if e.is::<LengthLimitError>() => ApiError::BodyTooLarge.into_response(),
        Ok(Err(_)) => ApiError::Invalid {
            param: None,
            message: "The request body could not be read.".into(),
        }
        .into_response(),
        Err(_) => {
            tracing::info!(path = %parts.uri.path(), "request body too slow; closing the connection");
            let mut res = ApiError::RequestTimeout.into_response();
            res.headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            res
        }
    }
}
