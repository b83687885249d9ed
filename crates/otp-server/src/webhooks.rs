//! Webhooks for the app developer's servers: `user.created`, `user.updated`, `user.deleted`,
//! `session.created`, `session.ended`, `session.revoked`, in Clerk's event shape
//! (`{data, object: "event", type, timestamp, instance_id}`), signed as Standard Webhooks / Svix
//! (`svix-id`, `svix-timestamp`, `svix-signature: v1,<base64 HMAC-SHA256>`), so Clerk's
//! `verifyWebhook` and the `standardwebhooks` package accept them.
//!
//! The store writes each event in the transaction of its change, to a durable outbox
//! ([`crate::store::Webhooks`]); the [`Worker`] here delivers it, at least once, in order per user
//! and endpoint, several at a time, retrying with backoff until `--webhook-deadline-secs`. A retry sends the same
//! body under the same `svix-id`, so a receiver drops duplicates by it.

use crate::clock::Clock;
use crate::config::{Config, ConfigError, Policy};
use crate::random::Random;
use crate::store::{
    CONFIGURED_ENDPOINT, RenderEvent, SessionRow, Store, UserRow, WebhookEndpointRow, WebhookJob,
    Webhooks,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How long a claimed event is reserved for this worker (ms).
const LEASE_MS: i64 = 60_000;
/// How long an endpoint has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries in flight at once on an instance: an endpoint that does not answer holds one of
/// them for [`TIMEOUT`], not the whole queue. (An event is never claimed while an earlier one
/// of its user to the same endpoint is being sent, so the order holds.)
const IN_FLIGHT: usize = 8;

/// A signing secret: `whsec_` and the base64 of the key bytes, as Svix issues them.
#[derive(Clone)]
pub struct SigningSecret {
    key: Vec<u8>,
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

impl SigningSecret {
    /// A new secret of 32 random bytes, as `whsec_…`.
    pub fn generate(random: &Random) -> anyhow::Result<String> {
        let key: [u8; 32] = random.bytes()?;
        Ok(format!("whsec_{}", STANDARD.encode(key)))
    }

    /// Reads `whsec_<base64>` (the prefix may be left out); at least 16 key bytes.
    pub fn parse(secret: &str) -> Option<Self> {
        let b64 = secret.trim();
        let b64 = b64.strip_prefix("whsec_").unwrap_or(b64);
        let key = STANDARD.decode(b64).ok()?;
        (key.len() >= 16).then_some(Self { key })
    }

    /// The `svix-signature` of a message: `v1,` and the base64 HMAC-SHA256 of
    /// `<id>.<timestamp>.<body>`.
    pub fn sign(&self, msg_id: &str, timestamp_secs: i64, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(format!("{msg_id}.{timestamp_secs}.{body}").as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// One endpoint events are POSTed to.
#[derive(Debug, Clone)]
struct Endpoint {
    id: String,
    url: String,
    secret: SigningSecret,
}

/// The endpoints of this instance: `--webhook-url`, and those made with
/// `otp-server webhooks create` (reloaded by [`Endpoints::refresh`]). Their ids are shared with
/// the store, which fans each event out to them.
#[derive(Debug, Clone)]
pub struct Endpoints {
    configured: Option<Endpoint>,
    stored: Arc<RwLock<Vec<Endpoint>>>,
    ids: Arc<RwLock<Vec<String>>>,
}

impl Endpoints {
    /// Reloads the endpoints made with `otp-server webhooks create`.
    pub async fn refresh(&self, store: &Store) -> anyhow::Result<()> {
        let rows = store.webhook_endpoints().await?;
        let stored: Vec<Endpoint> = rows
            .into_iter()
            .filter_map(|row| {
                let secret = SigningSecret::parse(&row.secret);
                if secret.is_none() {
                    tracing::error!(endpoint = %row.id, "a stored webhook secret does not parse");
                }
                Some(Endpoint {
                    secret: secret?,
                    id: row.id,
                    url: row.url,
                })
            })
            .collect();
        let ids = self
            .configured
            .iter()
            .chain(stored.iter())
            .map(|e| e.id.clone())
            .collect();
        *self.stored.write().unwrap_or_else(|p| p.into_inner()) = stored;
        *self.ids.write().unwrap_or_else(|p| p.into_inner()) = ids;
        Ok(())
    }

    /// Whether there is any endpoint.
    pub fn any(&self) -> bool {
        !self
            .ids
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }

    fn get(&self, id: &str) -> Option<Endpoint> {
        if id == CONFIGURED_ENDPOINT {
            return self.configured.clone();
        }
        self.stored
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|e| e.id == id)
            .cloned()
    }
}

/// Clerk's objects for the events: the Backend API's user and session.
struct ClerkObjects {
    policy: Policy,
}

impl RenderEvent for ClerkObjects {
    fn user(&self, user: &UserRow, now: i64) -> serde_json::Value {
        serde_json::to_value(crate::present::backend_user(user, now)).unwrap_or_default()
    }

    fn session(&self, session: &SessionRow, now: i64) -> serde_json::Value {
        serde_json::to_value(crate::present::backend_session(session, now, &self.policy))
            .unwrap_or_default()
    }
}

/// Makes `store` queue the events of its changes for the configured endpoints and those in the
/// database (a [`ConfigError`] for a `--webhook-url` without a usable `--webhook-secret`);
/// returns the store and its endpoints (to refresh, and for the [`Worker`]).
pub async fn attach(store: Store, config: &Config) -> anyhow::Result<(Store, Endpoints)> {
    let configured = match (&config.webhook_url, &config.webhook_secret) {
        (None, None) => None,
        (Some(url), Some(secret)) => {
            crate::delivery::endpoint_host(url.expose(), "--webhook-url")?;
            let secret = SigningSecret::parse(secret.expose()).ok_or_else(|| {
                ConfigError::new(
                    "--webhook-secret (OTP_WEBHOOK_SECRET) must be whsec_ and the base64 of at \
                     least 16 bytes (otp-server webhooks secret makes one)",
                )
            })?;
            Some(Endpoint {
                id: CONFIGURED_ENDPOINT.into(),
                url: url.expose().to_owned(),
                secret,
            })
        }
        (Some(_), None) => {
            return Err(ConfigError::new("--webhook-url needs --webhook-secret").into());
        }
        (None, Some(_)) => {
            return Err(ConfigError::new("--webhook-secret needs --webhook-url").into());
        }
    };
    let endpoints = Endpoints {
        configured,
        stored: Arc::default(),
        ids: Arc::default(),
    };
    endpoints.refresh(&store).await?;
    let webhooks = Webhooks {
        endpoints: endpoints.ids.clone(),
        render: Some(Arc::new(ClerkObjects {
            policy: config.policy.clone(),
        })),
        instance_id: instance_id(&config.issuer()),
        deadline_ms: i64::try_from(config.webhook_deadline_secs)?.saturating_mul(1000),
        random: config.random.clone(),
    };
    Ok((store.with_webhooks(webhooks), endpoints))
}

/// The instance's id in events: `ins_` and a digest of the issuer, the same on every replica.
fn instance_id(issuer: &str) -> String {
    let digest = Sha256::digest(issuer.as_bytes());
    format!("ins_{}", hex(&digest[..12]))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes an endpoint with a new secret; the row (its secret shown once by the command).
pub async fn create_endpoint(
    store: &Store,
    random: &Random,
    url: &str,
    now: i64,
) -> anyhow::Result<WebhookEndpointRow> {
    crate::delivery::endpoint_host(url, "--url")?;
    let row = WebhookEndpointRow {
        id: crate::ids::new_id(random, "ep")?,
        url: url.to_owned(),
        secret: SigningSecret::generate(random)?,
        created_at: now,
    };
    store.add_webhook_endpoint(&row).await?;
    Ok(row)
}

/// The webhook worker of this process.
pub struct Worker {
    /// The database.
    pub store: Store,
    /// Where events go.
    pub endpoints: Endpoints,
    /// The time source.
    pub clock: Arc<dyn Clock>,
    /// How often to look for due events.
    pub poll: Duration,
    /// Draws the jitter of retry delays.
    pub random: Random,
    /// Posts the events.
    pub http: reqwest::Client,
}

impl Worker {
    /// Runs until the process stops: delivers what is due, then waits for the poll interval.
    pub async fn run(self) {
        loop {
            if let Err(e) = self.drain().await {
                tracing::error!(error = ?e, "webhook worker");
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    /// Delivers every event that is due now, [`IN_FLIGHT`] at a time.
    pub async fn drain(&self) -> anyhow::Result<()> {
        let mut in_flight = FuturesUnordered::new();
        let mut due = true;
        loop {
            while due && in_flight.len() < IN_FLIGHT {
                match self
                    .store
                    .claim_webhook(self.clock.now_ms(), LEASE_MS)
                    .await?
                {
                    Some(job) => in_flight.push(self.deliver(job)),
                    None => due = false,
                }
            }
            match in_flight.next().await {
                // A delivered event may let its user's next one go: look again.
                Some(delivered) => {
                    delivered?;
                    due = true;
                }
                None => return Ok(()),
            }
        }
    }

    async fn deliver(&self, job: WebhookJob) -> anyhow::Result<()> {
        let mut endpoint = self.endpoints.get(&job.endpoint_id);
        if endpoint.is_none() {
            // Made since this instance last looked (by another instance's operator, or a
            // command): look again before giving the event up.
            self.endpoints.refresh(&self.store).await?;
            endpoint = self.endpoints.get(&job.endpoint_id);
        }
        let Some(endpoint) = endpoint else {
            let now = self.clock.now_ms();
            self.store
                .webhook_finish(job.id, now, Some("the endpoint was removed"))
                .await?;
            return Ok(());
        };
        let timestamp = self.clock.now_ms() / 1000;
        let signature = endpoint.secret.sign(&job.msg_id, timestamp, &job.body);
        let sent = self
            .http
            .post(&endpoint.url)
            .timeout(TIMEOUT)
            .header("content-type", "application/json")
            .header("svix-id", &job.msg_id)
            .header("svix-timestamp", timestamp.to_string())
            .header("svix-signature", signature)
            .body(job.body.clone())
            .send()
            .await;
        let error = match sent {
            Ok(res) if res.status().is_success() => None,
            Ok(res) => Some(format!("the endpoint answered {}", res.status())),
            Err(e) => Some(format!(
                "the endpoint could not be reached: {}",
                e.without_url()
            )),
        };
        let now = self.clock.now_ms();
        match error {
            None => {
                tracing::info!(msg_id = %job.msg_id, endpoint = %endpoint.id, "webhook delivered");
                self.store.webhook_finish(job.id, now, None).await?;
            }
            Some(error) if now < job.deadline_at => {
                let delay = crate::delivery::worker::backoff_ms(job.attempts, jitter(&self.random));
                let next = (now + delay).min(job.deadline_at);
                tracing::warn!(msg_id = %job.msg_id, endpoint = %endpoint.id, %error, retry_in_ms = next - now, "webhook failed; will retry");
                self.store.webhook_retry(job.id, next, &error).await?;
            }
            Some(error) => {
                tracing::error!(msg_id = %job.msg_id, endpoint = %endpoint.id, %error, "webhook given up");
                self.store.webhook_finish(job.id, now, Some(&error)).await?;
            }
        }
        Ok(())
    }
}

/// A uniform value in `[0, 1)`, the middle when the source fails.
fn jitter(random: &Random) -> f64 {
    random
        .u32()
        .map_or(0.5, |n| f64::from(n) / (f64::from(u32::MAX) + 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_svix_v1_of_id_timestamp_and_body() {
        // Standard Webhooks' published test vector.
        let secret =
            SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        assert_eq!(
            secret.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                r#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert!(
            SigningSecret::parse("whsec_c2hvcnQ=").is_none(),
            "too short"
        );
        assert!(SigningSecret::parse("not base64!").is_none());
        let made = SigningSecret::generate(&Random::os()).expect("secret");
        assert!(made.starts_with("whsec_") && SigningSecret::parse(&made).is_some());
    }
}
