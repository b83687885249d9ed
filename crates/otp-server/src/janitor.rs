//! Housekeeping: the janitor each instance runs removes what nothing needs any more, so the
//! database stays the size of what is in use, however many anonymous requests it gets. It
//! removes clients with nothing left (no session, sign-up or sign-in) after a quiet period,
//! sign-ups and sign-ins past their abandonment time, sessions ended or expired longer ago than
//! their retention, send events older than any limit's window, and finished outbox messages.
//! It never touches a live session, an unfinished sign-up or sign-in, or a message not
//! delivered yet. The store does the work in bounded batches; on PostgreSQL, one instance's
//! janitor works at a time (an advisory lock) and the others skip their round.

use crate::clock::Clock;
use crate::config::Config;
use crate::store::{Retention, Store};
use std::sync::Arc;
use std::time::Duration;

/// Rows of each kind one batch removes at most: small enough that a batch holds SQLite's
/// writer lock for a few milliseconds only.
pub const BATCH: u32 = 500;

/// The janitor of this process.
pub struct Janitor {
    /// The database.
    pub store: Store,
    /// The time source (what has expired is judged by it).
    pub clock: Arc<dyn Clock>,
    /// How long to wait between two rounds.
    pub every: Duration,
    /// What to keep, and for how long.
    pub retention: Retention,
}

impl Janitor {
    /// The janitor the configuration asks for.
    pub fn new(config: &Config, store: Store, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            every: Duration::from_secs(config.abuse.janitor_interval_secs.max(1)),
            retention: retention(config),
        }
    }

    /// Runs until the process stops: one round every `every` (the first after one period, so
    /// that starting many instances at once does not start as many sweeps).
    pub async fn run(self) {
        loop {
            tokio::time::sleep(self.every).await;
            self.round().await;
        }
    }

    /// One round: sweeps, and says what it removed.
    pub async fn round(&self) {
        match self
            .store
            .sweep(self.clock.now_ms(), &self.retention, BATCH)
            .await
        {
            Ok(Some(swept)) if swept.total() > 0 => tracing::info!(
                clients = swept.clients,
                sign_ups = swept.sign_ups,
                sign_ins = swept.sign_ins,
                sessions = swept.sessions,
                send_events = swept.send_events,
                messages = swept.messages,
                other = swept.other,
                "janitor removed what is no longer needed"
            ),
            Ok(Some(_)) => {}
            Ok(None) => tracing::debug!("janitor: another instance is sweeping"),
            Err(e) => {
                tracing::warn!(error = ?e, "janitor: sweeping failed; the next round retries")
            }
        }
    }
}

/// An identifier's wrong codes are forgotten a day after the last one (or after the lock-out's
/// length, when that is longer): the lock-out counts consecutive wrong codes, and one a day is
/// no guessing attack.
pub const FAILURES_FORGOTTEN_MS: i64 = 24 * 3_600_000;

/// What the configuration keeps, and for how long.
pub fn retention(config: &Config) -> Retention {
    let ms = |secs: u64| i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
    Retention {
        ended_sessions_ms: ms(config.abuse.ended_session_retention_secs),
        idle_clients_ms: ms(config.abuse.idle_client_retention_secs),
        outbox_ms: ms(config.abuse.outbox_retention_secs),
        session_idle_ms: config.policy.session_idle_ms(),
        failures_ms: config.policy.lockout_ms().max(FAILURES_FORGOTTEN_MS),
    }
}
