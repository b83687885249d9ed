//! The outbox worker: claims due messages (a lease, so a crashed worker's message is picked up
//! again), sends them, and records the outcome: sent, retried later with exponential backoff and
//! jitter, or failed for good (a permanent error, or the deadline passed). A message recorded as
//! sent is never sent again.

use super::{Delivery, Message, MessageKind};
use crate::clock::Clock;
use crate::domain::Identifier;
use crate::random::Random;
use crate::sealed::Sealer;
use crate::store::{OutboxJob, OutboxOutcome, Store};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How long a claimed message is reserved for this worker before another may take it (ms).
const LEASE_MS: i64 = 60_000;
/// First retry delay (ms); it doubles with each attempt.
const BACKOFF_BASE_MS: i64 = 1_000;
/// Longest retry delay (ms).
const BACKOFF_MAX_MS: i64 = 60_000;

/// What the outbox keeps sealed: the code and its expiry.
#[derive(Debug, Serialize, Deserialize)]
pub struct SealedPayload {
    /// The code.
    pub code: String,
    /// Its expiry (ms).
    pub expires_at: i64,
    /// Minutes it lasts, for the text.
    pub minutes: u64,
    /// What the message says (a code when left out, as in payloads sealed before it existed).
    #[serde(default)]
    pub kind: MessageKind,
}

/// The delivery worker of this process.
pub struct Worker {
    /// The database.
    pub store: Store,
    /// The providers.
    pub delivery: Delivery,
    /// The time source (due times and deadlines).
    pub clock: Arc<dyn Clock>,
    /// Opens sealed payloads.
    pub sealer: Sealer,
    /// Poked after a message is written, so it goes out at once.
    pub wake: Arc<Notify>,
    /// How often to look for due retries.
    pub poll: Duration,
    /// Draws the jitter of retry delays.
    pub random: Random,
}

impl Worker {
    /// Runs until the process stops: sends what is due, then waits for a poke or the poll interval.
    pub async fn run(self) {
        loop {
            if let Err(e) = self.drain().await {
                tracing::error!(error = ?e, "delivery worker");
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// Sends every message that is due now.
    pub async fn drain(&self) -> anyhow::Result<()> {
        while let Some(job) = self
            .store
            .claim_outbox(self.clock.now_ms(), LEASE_MS)
            .await?
        {
            self.deliver(job).await?;
        }
        Ok(())
    }

    async fn deliver(&self, job: OutboxJob) -> anyhow::Result<()> {
        let to = Identifier::from_stored(
            if job.channel == otp_proto::dev::Channel::Email {
                "email"
            } else {
                "phone"
            },
            job.recipient.clone(),
        );
        let payload = job
            .payload
            .as_deref()
            .and_then(|sealed| self.sealer.open(&job.owner_id, sealed))
            .and_then(|plain| serde_json::from_slice::<SealedPayload>(&plain).ok());
        let Some(payload) = payload else {
            // Sealed with another key (the secret changed) or damaged: it can never be sent.
            let outcome = OutboxOutcome::Failed {
                error: "the sealed payload cannot be opened".into(),
            };
            return Ok(self
                .store
                .outbox_finish(job.id, self.clock.now_ms(), outcome)
                .await?);
        };
        if payload.kind == MessageKind::Decoy {
            // Nothing to send: recorded as a sent message is, so the sign-in reads the same.
            let outcome = OutboxOutcome::Sent { provider_id: None };
            return Ok(self
                .store
                .outbox_finish(job.id, self.clock.now_ms(), outcome)
                .await?);
        }
        let message = Message {
            channel: job.channel,
            to: job.recipient.clone(),
            code: payload.code,
            expires_at: payload.expires_at,
            minutes: payload.minutes,
            locale: job.locale.clone(),
            kind: payload.kind,
        };
        let result = self.delivery.send(&message, self.clock.now_ms()).await;
        let now = self.clock.now_ms();
        let masked = to.masked();
        let channel = job.channel.as_str();
        match &result {
            Ok(_) => {
                metrics::counter!("otp_messages_sent_total", "channel" => channel).increment(1)
            }
            Err(e) => {
                let kind = if e.is_transient() {
                    "transient"
                } else {
                    "permanent"
                };
                metrics::counter!("otp_delivery_failures_total", "channel" => channel, "kind" => kind)
                    .increment(1);
            }
        }
        match result {
            Ok(provider_id) => {
                tracing::info!(outbox_id = job.id, to = %masked, attempts = job.attempts + 1, "code delivered");
                self.store
                    .outbox_finish(job.id, now, OutboxOutcome::Sent { provider_id })
                    .await?;
            }
            Err(e) if e.is_transient() && now < job.deadline_at => {
                let delay = backoff_ms(job.attempts, jitter(&self.random));
                let next = (now + delay).min(job.deadline_at);
                tracing::warn!(outbox_id = job.id, to = %masked, error = %e, retry_in_ms = next - now, "delivery failed; will retry");
                self.store
                    .outbox_retry(job.id, next, &e.to_string())
                    .await?;
            }
            Err(e) => {
                tracing::error!(outbox_id = job.id, to = %masked, error = %e, "delivery failed for good");
                self.store
                    .outbox_finish(
                        job.id,
                        now,
                        OutboxOutcome::Failed {
                            error: e.to_string(),
                        },
                    )
                    .await?;
            }
        }
        Ok(())
    }
}

/// The delay before retry number `attempt + 1`: exponential from 1 s, capped at 60 s, with
/// "equal jitter" (half fixed, half random) so retries of many messages spread out.
/// `jitter` is uniform in `[0, 1)`.
pub fn backoff_ms(attempt: u32, jitter: f64) -> i64 {
    let exp = BACKOFF_BASE_MS
        .saturating_mul(1_i64 << attempt.min(20))
        .min(BACKOFF_MAX_MS);
    let half = exp / 2;
    // Truncation is intended: a fraction of a millisecond does not matter.
    half + (half as f64 * jitter.clamp(0.0, 1.0)) as i64
}

/// A uniform value in `[0, 1)`; the middle when the source fails, since a retry must not be
/// lost for want of jitter.
fn jitter(random: &Random) -> f64 {
    random
        .u32()
        .map_or(0.5, |n| f64::from(n) / (f64::from(u32::MAX) + 1.0))
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_from_one_second_up_to_a_minute_with_jitter() {
        assert_eq!(backoff_ms(0, 0.0), 500);
        assert_eq!(backoff_ms(0, 0.999_999), 999);
        assert_eq!(backoff_ms(1, 0.0), 1_000);
        assert_eq!(backoff_ms(3, 1.0), 8_000);
        assert_eq!(backoff_ms(6, 1.0), 60_000);
        assert_eq!(backoff_ms(30, 0.0), 30_000);
    }
}
