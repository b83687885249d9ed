//! Building the application from a configuration and an already-bound listener, so tests can bind
//! `127.0.0.1:0` and read the port back.

use crate::browser;
use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::delivery::Delivery;
use crate::delivery::worker::Worker;
use crate::domain::IdentifierKind;
use crate::otp::CodeHasher;
use crate::routes;
use crate::sealed::Sealer;
use crate::state::AppState;
use crate::tokens::JwtIssuer;
use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::{Router, middleware};
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
    /// The delivery worker, when a provider is configured.
    worker: Option<Worker>,
    /// Rotates and reloads the signing keys.
    keys: KeyMaintenance,
}

/// Keeps this instance's signing keys in step with the database: rotates when the newest key is
/// older than the rotation period, and picks up keys other instances created.
struct KeyMaintenance {
    store: crate::store::Store,
    jwt: Arc<JwtIssuer>,
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
        let mut config = config;
        if config.issuer.is_none() {
            // With port 0 the issuer names the port actually bound.
            config.issuer = Some(format!("http://{}", listener.local_addr()?));
        }
        let jwt = Arc::new(
            JwtIssuer::load(
                &store,
                &config.data_dir,
                config.issuer(),
                i64::try_from(config.policy.jwt_ttl_secs)?,
                i64::try_from(config.jwt_rotation_secs)?.saturating_mul(1000),
                config.random.clone(),
                clock.now_ms(),
            )
            .await?,
        );
        let keys = KeyMaintenance {
            store: store.clone(),
            jwt: jwt.clone(),
            clock: clock.clone(),
            every: Duration::from_millis(config.key_refresh_ms.max(10)),
        };
        if config.policy.no_ip_limits {
            tracing::warn!(
                "--no-ip-limits: the per-IP send cap is off (load testing only); per-identifier limits stay on"
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
        Ok(Self {
            listener,
            router: app(state),
            worker,
            keys,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves (and delivers queued messages) until `shutdown` resolves, then finishes the
    /// requests in flight. Messages not sent yet stay in the outbox for the next start.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let worker = self.worker.map(|w| tokio::spawn(w.run()));
        let keys = tokio::spawn(self.keys.run());
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await;
        if let Some(worker) = worker {
            worker.abort();
        }
        keys.abort();
        served
    }
}

/// The router with its middleware: body size limit, the browser-mode origin check, `_method`
/// tunnelling (before routing), the `--frontend-path` prefix, CORS for the allowed origins, and
/// request tracing.
pub fn app(state: AppState) -> Router {
    let config = state.config.clone();
    let api = routes::router(state.clone())
        .layer(middleware::from_fn_with_state(state, browser::guard_origin))
        .layer(DefaultBodyLimit::max(config.max_body_bytes));
    let api = MapRequestLayer::new(browser::tunnel_method).layer(api);
    let mut app = Router::new().fallback_service(api.clone());
    if let Some(prefix) = &config.frontend_path {
        app = app.nest_service(prefix, api);
    }
    if let Some(cors) = browser::cors(&config.allowed_origins) {
        app = app.layer(cors);
    }
    app.layer(TraceLayer::new_for_http())
}
