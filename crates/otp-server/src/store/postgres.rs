//! The PostgreSQL store, for several `otp-server` instances on one database. Every check-then-
//! change runs in one transaction that first takes transaction-scoped advisory locks on what it
//! counts (an identifier, an IP, an SMS country), so concurrent requests to any instance are
//! serialized exactly where the policy needs it, and nowhere else.

use super::*;
use crate::otp::{self, StoredCode};
use crate::rate_limit::{self, HOUR_MS, Lockout};
use anyhow::Context;
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Row};
use std::str::FromStr;
use std::time::Duration;

/// The PostgreSQL-backed store. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database at `url` with at most `max_connections` and applies the
    /// migrations (concurrent starts of several instances are safe: sqlx takes a lock).
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let options =
            PgConnectOptions::from_str(url).with_context(|| "invalid database URL".to_owned())?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .context("connecting to PostgreSQL")?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }
}

/// Serializes the transaction with every other one that locks any of `keys` (until it ends).
/// Keys are locked in sorted order, so two transactions never wait on each other in a cycle.
async fn lock(conn: &mut PgConnection, keys: &[String]) -> Result<(), StoreError> {
    let mut keys: Vec<&String> = keys.iter().collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn to_u32(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

#[async_trait]
impl Store for PgStore {
    /// Applies the migrations that have not run yet.
    async fn migrate(&self) -> anyhow::Result<()> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await
            .context("applying migrations")
    }

    /// Whether the database answers (for `/healthz`).
    async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .context("database ping")?;
        Ok(())
    }

    // ---- clients ----

    /// Stores a new client with its token hash.
    async fn create_client(
        &self,
        id: &str,
        token_hash: &[u8],
        now: i64,
    ) -> Result<ClientRow, StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert_client(&mut conn, id, token_hash, now).await?;
        Ok(ClientRow {
            id: id.to_owned(),
            sign_up_id: None,
            sign_in_id: None,
            last_active_session_id: None,
            created_at: now,
            updated_at: now,
        })
    }

    /// The client whose token hashes to `token_hash`.
    async fn client_by_token(&self, token_hash: &[u8]) -> Result<Option<ClientRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, sign_up_id, sign_in_id, last_active_session_id, created_at, updated_at
             FROM clients WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| client_row(&r)))
    }

    /// The client with everything needed to render it.
    async fn client_state(&self, client_id: &str) -> Result<ClientState, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(
            "SELECT id, sign_up_id, sign_in_id, last_active_session_id, created_at, updated_at
             FROM clients WHERE id = $1",
        )
        .bind(client_id)
        .fetch_one(&mut *conn)
        .await?;
        let client = client_row(&row);
        let session_rows = sqlx::query(
            "SELECT id, client_id, user_id, status, last_active_at, abandon_at, created_at, updated_at
             FROM sessions WHERE client_id = $1 AND status = 'active' ORDER BY created_at",
        )
        .bind(client_id)
        .fetch_all(&mut *conn)
        .await?;
        let mut sessions = Vec::with_capacity(session_rows.len());
        for r in &session_rows {
            let session = session_row(r)?;
            let user = load_user(&mut conn, &session.user_id)
                .await?
                .context("session without user")?;
            sessions.push((session, user));
        }
        let sign_up = match &client.sign_up_id {
            Some(id) => load_sign_up(&mut conn, id).await?,
            None => None,
        };
        let sign_in = match &client.sign_in_id {
            Some(id) => load_sign_in(&mut conn, id).await?,
            None => None,
        };
        Ok(ClientState {
            client,
            sessions,
            sign_up,
            sign_in,
        })
    }

    // ---- sign-ups and sign-ins ----

    /// Stores a new sign-up and makes it the client's current one; refuses an identifier that
    /// already belongs to a user.
    async fn create_sign_up(
        &self,
        id: &str,
        client: ClientKey<'_>,
        identifier: &Identifier,
        now: i64,
        abandon_at: i64,
    ) -> Result<(), StoreError> {
        let client_id = client.id;
        let mut tx = self.pool.begin().await?;
        let taken = sqlx::query("SELECT 1 FROM user_identifiers WHERE value = $1")
            .bind(identifier.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::IdentifierExists);
        }
        if let Some(token_hash) = client.new_token_hash {
            insert_client(&mut tx, client_id, token_hash, now).await?;
        }
        sqlx::query(
            "INSERT INTO sign_ups (id, client_id, kind, identifier, status, created_at, updated_at, abandon_at)
             VALUES ($1, $2, $3, $4, 'missing_requirements', $5, $6, $7)",
        )
        .bind(id)
        .bind(client_id)
        .bind(identifier.kind().as_str())
        .bind(identifier.as_str())
        .bind(now)
        .bind(now)
        .bind(abandon_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE clients SET sign_up_id = $1, updated_at = $2 WHERE id = $3")
            .bind(id)
            .bind(now)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A sign-up by id.
    async fn sign_up(&self, id: &str) -> Result<Option<SignUpRow>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load_sign_up(&mut conn, id).await
    }

    /// The user owning a verified identifier.
    async fn user_by_identifier(
        &self,
        identifier: &Identifier,
    ) -> Result<Option<UserRow>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let user_id: Option<String> =
            sqlx::query_scalar("SELECT user_id FROM user_identifiers WHERE value = $1")
                .bind(identifier.as_str())
                .fetch_optional(&mut *conn)
                .await?;
        match user_id {
            Some(id) => load_user(&mut conn, &id).await,
            None => Ok(None),
        }
    }

    /// A user by id.
    async fn user(&self, id: &str) -> Result<Option<UserRow>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load_user(&mut conn, id).await
    }

    /// Stores a new sign-in and makes it the client's current one.
    async fn create_sign_in(
        &self,
        id: &str,
        client: ClientKey<'_>,
        identifier: &Identifier,
        user_id: &str,
        now: i64,
        abandon_at: i64,
    ) -> Result<(), StoreError> {
        let client_id = client.id;
        let mut tx = self.pool.begin().await?;
        if let Some(token_hash) = client.new_token_hash {
            insert_client(&mut tx, client_id, token_hash, now).await?;
        }
        sqlx::query(
            "INSERT INTO sign_ins (id, client_id, identifier, user_id, status, created_at, updated_at, abandon_at)
             VALUES ($1, $2, $3, $4, 'needs_first_factor', $5, $6, $7)",
        )
        .bind(id)
        .bind(client_id)
        .bind(identifier.as_str())
        .bind(user_id)
        .bind(now)
        .bind(now)
        .bind(abandon_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE clients SET sign_in_id = $1, updated_at = $2 WHERE id = $3")
            .bind(id)
            .bind(now)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A sign-in by id.
    async fn sign_in(&self, id: &str) -> Result<Option<SignInRow>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load_sign_in(&mut conn, id).await
    }

    // ---- codes ----

    /// Checks the lock and the send limits, then stores the code (replacing any earlier one)
    /// and records the send, all in one transaction.
    async fn prepare_code(&self, p: PrepareCode<'_>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut keys: Vec<String> = p.limits.iter().map(|(scope, _)| scope.clone()).collect();
        keys.push(format!("id:{}", p.identifier.as_str()));
        keys.push(format!("owner:{}", p.owner_id));
        lock(&mut tx, &keys).await?;
        let lockout = load_lockout(&mut tx, p.identifier.as_str()).await?;
        if let Some(retry_after_secs) = lockout.remaining_secs(p.now) {
            return Err(StoreError::Locked { retry_after_secs });
        }
        let scopes = &p.limits;
        for (scope, limits) in scopes {
            sqlx::query("DELETE FROM send_events WHERE scope = $1 AND at <= $2")
                .bind(scope)
                .bind(p.now - HOUR_MS)
                .execute(&mut *tx)
                .await?;
            let earlier: Vec<i64> =
                sqlx::query_scalar("SELECT at FROM send_events WHERE scope = $1")
                    .bind(scope)
                    .fetch_all(&mut *tx)
                    .await?;
            rate_limit::check_send(&earlier, p.now, *limits)
                .map_err(|retry_after_secs| StoreError::TooManyRequests { retry_after_secs })?;
        }
        for (scope, _) in scopes {
            sqlx::query("INSERT INTO send_events (scope, at) VALUES ($1, $2)")
                .bind(scope)
                .bind(p.now)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO codes (owner_id, strategy, identifier, identifier_id, mac, status, attempts, expire_at, created_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7)
             ON CONFLICT (owner_id) DO UPDATE SET strategy = excluded.strategy, identifier = excluded.identifier,
               identifier_id = excluded.identifier_id, mac = excluded.mac, status = 'pending', attempts = 0,
               expire_at = excluded.expire_at, created_at = excluded.created_at",
        )
        .bind(p.owner_id)
        .bind(p.strategy.as_str())
        .bind(p.identifier.as_str())
        .bind(p.identifier_id)
        .bind(&p.mac)
        .bind(p.expire_at)
        .bind(p.now)
        .execute(&mut *tx)
        .await?;
        if let Some(o) = &p.outbox {
            // The code of an earlier message for this attempt is void: do not send it any more.
            sqlx::query(
                "UPDATE outbox SET status = 'superseded', payload = NULL, finished_at = $1
                 WHERE owner_id = $2 AND status IN ('pending', 'sending')",
            )
            .bind(p.now)
            .bind(p.owner_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO outbox (owner_id, channel, recipient, locale, payload, status, attempts, next_attempt_at,
                   deadline_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $8)",
            )
            .bind(p.owner_id)
            .bind(channel_name(o.channel))
            .bind(&o.recipient)
            .bind(&o.locale)
            .bind(&o.payload)
            .bind(p.now)
            .bind(o.deadline_at)
            .bind(p.now)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(m) = p.dev_message {
            sqlx::query("INSERT INTO dev_outbox (recipient, channel, code, body, sent_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&m.to)
                .bind(channel_name(m.channel))
                .bind(&m.code)
                .bind(&m.body)
                .bind(m.sent_at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Judges an attempt against the stored code and records the outcome: a wrong code counts
    /// against the code and the identifier; a right one marks the code used and creates what
    /// `completion` says, in the same transaction.
    async fn attempt_code(
        &self,
        a: AttemptCode<'_>,
        matches: &(dyn for<'m> Fn(&'m [u8]) -> bool + Send + Sync),
    ) -> Result<AttemptOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        lock(
            &mut tx,
            &[
                format!("id:{}", a.identifier.as_str()),
                format!("owner:{}", a.owner_id),
            ],
        )
        .await?;
        let lockout = load_lockout(&mut tx, a.identifier.as_str()).await?;
        if let Some(retry_after_secs) = lockout.remaining_secs(a.now) {
            return Err(StoreError::Locked { retry_after_secs });
        }
        let row = sqlx::query(
            "SELECT strategy, mac, status, attempts, expire_at FROM codes WHERE owner_id = $1",
        )
        .bind(a.owner_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NoCode)?;
        let mac: Vec<u8> = row.try_get("mac")?;
        let stored = StoredCode {
            state: code_state(&row.try_get::<String, _>("status")?)?,
            attempts: to_u32(row.try_get("attempts")?),
            expire_at: row.try_get("expire_at")?,
        };
        let judgement = otp::judge(stored, a.now, a.max_attempts, || matches(&mac));
        match judgement {
            otp::Judgement::Correct => {
                set_code(&mut tx, a.owner_id, "verified", stored.attempts).await?;
                sqlx::query("DELETE FROM identifier_failures WHERE identifier = $1")
                    .bind(a.identifier.as_str())
                    .execute(&mut *tx)
                    .await?;
                complete(&mut tx, &a).await?;
            }
            otp::Judgement::Incorrect { .. } | otp::Judgement::NowFailed => {
                let status = if judgement == otp::Judgement::NowFailed {
                    "failed"
                } else {
                    "pending"
                };
                set_code(&mut tx, a.owner_id, status, stored.attempts + 1).await?;
                let next = lockout.after_failure(a.now, a.lockout_threshold, a.lockout_ms);
                sqlx::query(
                    "INSERT INTO identifier_failures (identifier, failures, locked_until) VALUES ($1, $2, $3)
                     ON CONFLICT (identifier) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
                )
                .bind(a.identifier.as_str())
                .bind(i64::from(next.failures))
                .bind(next.locked_until)
                .execute(&mut *tx)
                .await?;
            }
            otp::Judgement::Expired if stored.state == CodeState::Pending => {
                set_code(&mut tx, a.owner_id, "expired", stored.attempts).await?;
            }
            otp::Judgement::Expired | otp::Judgement::Failed | otp::Judgement::AlreadyVerified => {}
        }
        tx.commit().await?;
        Ok(judgement)
    }

    // ---- sessions ----

    /// A session of a client (any state).
    async fn session(
        &self,
        client_id: &str,
        session_id: &str,
    ) -> Result<Option<SessionRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, client_id, user_id, status, last_active_at, abandon_at, created_at, updated_at
             FROM sessions WHERE id = $1 AND client_id = $2",
        )
        .bind(session_id)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session_row).transpose()
    }

    /// Records activity on a session; with `make_last_active`, also makes it the client's
    /// chosen session (Clerk's `touch`).
    async fn touch_session(
        &self,
        client_id: &str,
        session_id: &str,
        now: i64,
        make_last_active: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE sessions SET last_active_at = $1, updated_at = $2 WHERE id = $3 AND client_id = $4",
        )
        .bind(now)
        .bind(now)
        .bind(session_id)
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
        if make_last_active {
            sqlx::query(
                "UPDATE clients SET last_active_session_id = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(session_id)
            .bind(now)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ends one session of a client, or all of them when `session_id` is `None`; the client's
    /// last active session moves to its newest remaining one.
    async fn end_sessions(
        &self,
        client_id: &str,
        session_id: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE sessions SET status = 'ended', updated_at = $1
             WHERE client_id = $2 AND status = 'active' AND ($3::text IS NULL OR id = $4)",
        )
        .bind(now)
        .bind(client_id)
        .bind(session_id)
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE clients SET updated_at = $1, last_active_session_id =
               (SELECT id FROM sessions WHERE client_id = $2 AND status = 'active' ORDER BY created_at DESC LIMIT 1)
             WHERE id = $3",
        )
        .bind(now)
        .bind(client_id)
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- delivery outbox ----

    /// Claims the oldest message that is due (pending and due, or leased by a worker that did
    /// not finish), reserving it for `lease_ms`.
    async fn claim_outbox(&self, now: i64, lease_ms: i64) -> Result<Option<OutboxJob>, StoreError> {
        let row = sqlx::query(
            "UPDATE outbox SET status = 'sending', lease_until = $1
             WHERE id = (SELECT id FROM outbox
                         WHERE (status = 'pending' AND next_attempt_at <= $2) OR (status = 'sending' AND lease_until <= $3)
                         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
             RETURNING id, owner_id, channel, recipient, locale, payload, attempts, deadline_at",
        )
        .bind(now + lease_ms)
        .bind(now)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let channel: String = r.try_get("channel")?;
            Ok(OutboxJob {
                id: r.try_get("id")?,
                owner_id: r.try_get("owner_id")?,
                channel: channel_of(&channel),
                recipient: r.try_get("recipient")?,
                locale: r.try_get("locale")?,
                payload: r.try_get("payload")?,
                attempts: to_u32(r.try_get("attempts")?),
                deadline_at: r.try_get("deadline_at")?,
            })
        })
        .transpose()
    }

    /// Schedules another try of a claimed message.
    async fn outbox_retry(
        &self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET status = 'pending', attempts = attempts + 1, next_attempt_at = $1, lease_until = NULL,
               last_error = $2
             WHERE id = $3 AND status = 'sending'",
        )
        .bind(next_attempt_at)
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records how a claimed message ended, and wipes its sealed code.
    async fn outbox_finish(
        &self,
        id: i64,
        now: i64,
        outcome: OutboxOutcome,
    ) -> Result<(), StoreError> {
        let (status, provider_id, error) = match outcome {
            OutboxOutcome::Sent { provider_id } => ("sent", provider_id, None),
            OutboxOutcome::Failed { error } => ("failed", None, Some(error)),
        };
        sqlx::query(
            "UPDATE outbox SET status = $1, attempts = attempts + 1, provider_id = $2, last_error = COALESCE($3, last_error),
               payload = NULL, lease_until = NULL, finished_at = $4
             WHERE id = $5",
        )
        .bind(status)
        .bind(provider_id)
        .bind(error)
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // ---- dev outbox ----

    /// The latest dev-mode message to `to`.
    async fn dev_outbox_latest(
        &self,
        to: &str,
    ) -> Result<Option<otp_proto::dev::OutboxMessage>, StoreError> {
        let row = sqlx::query(
            "SELECT recipient, channel, code, body, sent_at FROM dev_outbox WHERE recipient = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(to)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let channel: String = r.try_get("channel")?;
            Ok(otp_proto::dev::OutboxMessage {
                to: r.try_get("recipient")?,
                channel: if channel == "email" {
                    otp_proto::dev::Channel::Email
                } else {
                    otp_proto::dev::Channel::Sms
                },
                code: r.try_get("code")?,
                body: r.try_get("body")?,
                sent_at: r.try_get("sent_at")?,
            })
        })
        .transpose()
    }

    // ---- keys ----

    async fn hmac_key(&self, candidate: &[u8; 32], now: i64) -> Result<[u8; 32], StoreError> {
        sqlx::query("INSERT INTO server_keys (name, secret, created_at) VALUES ('hmac', $1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(candidate.as_slice())
            .bind(now)
            .execute(&self.pool)
            .await?;
        let stored: Vec<u8> =
            sqlx::query_scalar("SELECT secret FROM server_keys WHERE name = 'hmac'")
                .fetch_one(&self.pool)
                .await?;
        stored.try_into().map_err(|_| {
            StoreError::Unexpected(anyhow::anyhow!("the stored HMAC key is not 32 bytes"))
        })
    }

    async fn jwt_keys(&self) -> Result<Vec<JwtKeyRow>, StoreError> {
        let rows =
            sqlx::query("SELECT generation, pem, created_at FROM jwt_keys ORDER BY generation")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(JwtKeyRow {
                    generation: r.try_get("generation")?,
                    pem: r.try_get("pem")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn add_jwt_key(&self, generation: i64, pem: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO jwt_keys (generation, pem, created_at) VALUES ($1, $2, $3) ON CONFLICT (generation) DO NOTHING")
            .bind(generation)
            .bind(pem)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

async fn insert_client(
    conn: &mut PgConnection,
    id: &str,
    token_hash: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO clients (id, token_hash, created_at, updated_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(token_hash)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Creates the user (sign-up), the session, and moves the client to its new token.
async fn complete(conn: &mut PgConnection, a: &AttemptCode<'_>) -> Result<(), StoreError> {
    let c = &a.completion;
    let now = a.now;
    let user_id = match &c.kind {
        CompletionKind::SignUp {
            user_id,
            identifier_id,
        } => {
            sqlx::query("INSERT INTO users (id, last_sign_in_at, created_at, updated_at) VALUES ($1, $2, $3, $4)")
                .bind(user_id)
                .bind(now)
                .bind(now)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            let inserted = sqlx::query(
                "INSERT INTO user_identifiers (id, user_id, kind, value, verified_strategy, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(identifier_id)
            .bind(user_id)
            .bind(a.identifier.kind().as_str())
            .bind(a.identifier.as_str())
            .bind(a.identifier.kind().strategy().as_str())
            .bind(now)
            .bind(now)
            .execute(&mut *conn)
            .await;
            match inserted {
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    return Err(StoreError::IdentifierExists);
                }
                other => other?,
            };
            sqlx::query(
                "UPDATE sign_ups SET status = 'complete', created_user_id = $1, created_session_id = $2, updated_at = $3
                 WHERE id = $4",
            )
            .bind(user_id)
            .bind(&c.session_id)
            .bind(now)
            .bind(a.owner_id)
            .execute(&mut *conn)
            .await?;
            user_id
        }
        CompletionKind::SignIn { user_id } => {
            sqlx::query("UPDATE users SET last_sign_in_at = $1, updated_at = $2 WHERE id = $3")
                .bind(now)
                .bind(now)
                .bind(user_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "UPDATE sign_ins SET status = 'complete', created_session_id = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(&c.session_id)
            .bind(now)
            .bind(a.owner_id)
            .execute(&mut *conn)
            .await?;
            user_id
        }
    };
    sqlx::query(
        "INSERT INTO sessions (id, client_id, user_id, status, last_active_at, abandon_at, created_at, updated_at)
         VALUES ($1, $2, $3, 'active', $4, $5, $6, $7)",
    )
    .bind(&c.session_id)
    .bind(&c.client_id)
    .bind(user_id)
    .bind(now)
    .bind(c.session_abandon_at)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE clients SET last_active_session_id = $1, token_hash = $2, updated_at = $3 WHERE id = $4")
        .bind(&c.session_id)
        .bind(&c.new_token_hash)
        .bind(now)
        .bind(&c.client_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn set_code(
    conn: &mut PgConnection,
    owner_id: &str,
    status: &str,
    attempts: u32,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE codes SET status = $1, attempts = $2 WHERE owner_id = $3")
        .bind(status)
        .bind(i64::from(attempts))
        .bind(owner_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn load_lockout(conn: &mut PgConnection, identifier: &str) -> Result<Lockout, StoreError> {
    let row =
        sqlx::query("SELECT failures, locked_until FROM identifier_failures WHERE identifier = $1")
            .bind(identifier)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(match row {
        Some(r) => Lockout {
            failures: to_u32(r.try_get("failures")?),
            locked_until: r.try_get("locked_until")?,
        },
        None => Lockout::default(),
    })
}

async fn load_code(conn: &mut PgConnection, owner_id: &str) -> Result<Option<CodeRow>, StoreError> {
    let row = sqlx::query(
        "SELECT strategy, identifier, status, attempts, expire_at,
           (SELECT status FROM outbox WHERE outbox.owner_id = codes.owner_id ORDER BY id DESC LIMIT 1) AS delivery
         FROM codes WHERE owner_id = $1",
    )
    .bind(owner_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        let strategy: String = r.try_get("strategy")?;
        let delivery: Option<String> = r.try_get("delivery")?;
        Ok(CodeRow {
            strategy: Strategy::parse(&strategy)
                .with_context(|| format!("stored strategy {strategy}"))?,
            sent_to: r.try_get("identifier")?,
            attempts: to_u32(r.try_get("attempts")?),
            state: code_state(&r.try_get::<String, _>("status")?)?,
            expire_at: r.try_get("expire_at")?,
            delivery: delivery.as_deref().map(delivery_status),
        })
    })
    .transpose()
}

async fn load_sign_up(conn: &mut PgConnection, id: &str) -> Result<Option<SignUpRow>, StoreError> {
    let Some(r) = sqlx::query(
        "SELECT id, client_id, kind, identifier, status, created_user_id, created_session_id, abandon_at
         FROM sign_ups WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let kind: String = r.try_get("kind")?;
    let status: String = r.try_get("status")?;
    Ok(Some(SignUpRow {
        id: r.try_get("id")?,
        client_id: r.try_get("client_id")?,
        identifier: Identifier::from_stored(&kind, r.try_get("identifier")?),
        status: if status == "complete" {
            SignUpStatus::Complete
        } else {
            SignUpStatus::MissingRequirements
        },
        created_user_id: r.try_get("created_user_id")?,
        created_session_id: r.try_get("created_session_id")?,
        abandon_at: r.try_get("abandon_at")?,
        code: load_code(conn, id).await?,
    }))
}

async fn load_sign_in(conn: &mut PgConnection, id: &str) -> Result<Option<SignInRow>, StoreError> {
    let Some(r) = sqlx::query(
        "SELECT id, client_id, identifier, user_id, status, created_session_id, abandon_at FROM sign_ins WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let identifier: String = r.try_get("identifier")?;
    let kind = if identifier.contains('@') {
        "email"
    } else {
        "phone"
    };
    let status: String = r.try_get("status")?;
    let user_id: String = r.try_get("user_id")?;
    let factors = load_user(conn, &user_id)
        .await?
        .map(|u| u.identifiers)
        .unwrap_or_default();
    Ok(Some(SignInRow {
        factors,
        id: r.try_get("id")?,
        client_id: r.try_get("client_id")?,
        identifier: Identifier::from_stored(kind, identifier),
        user_id,
        status: if status == "complete" {
            SignInStatus::Complete
        } else {
            SignInStatus::NeedsFirstFactor
        },
        created_session_id: r.try_get("created_session_id")?,
        abandon_at: r.try_get("abandon_at")?,
        code: load_code(conn, id).await?,
    }))
}

async fn load_user(conn: &mut PgConnection, id: &str) -> Result<Option<UserRow>, StoreError> {
    let Some(r) =
        sqlx::query("SELECT id, last_sign_in_at, created_at, updated_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(None);
    };
    let identifier_rows = sqlx::query(
        "SELECT i.id, i.kind, i.value, i.created_at, f.locked_until
         FROM user_identifiers i LEFT JOIN identifier_failures f ON f.identifier = i.value
         WHERE i.user_id = $1 ORDER BY i.created_at, i.id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut identifiers = Vec::with_capacity(identifier_rows.len());
    let mut locked_until: Option<i64> = None;
    for i in &identifier_rows {
        let kind: String = i.try_get("kind")?;
        identifiers.push(IdentifierRow {
            id: i.try_get("id")?,
            kind: if kind == "email" {
                IdentifierKind::Email
            } else {
                IdentifierKind::Phone
            },
            value: i.try_get("value")?,
            created_at: i.try_get("created_at")?,
        });
        let until: Option<i64> = i.try_get("locked_until")?;
        locked_until = locked_until.max(until);
    }
    Ok(Some(UserRow {
        id: r.try_get("id")?,
        last_sign_in_at: r.try_get("last_sign_in_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        identifiers,
        locked_until,
    }))
}

fn client_row(r: &sqlx::postgres::PgRow) -> ClientRow {
    ClientRow {
        id: r.get("id"),
        sign_up_id: r.get("sign_up_id"),
        sign_in_id: r.get("sign_in_id"),
        last_active_session_id: r.get("last_active_session_id"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

fn session_row(r: &sqlx::postgres::PgRow) -> Result<SessionRow, StoreError> {
    let status: String = r.try_get("status")?;
    Ok(SessionRow {
        id: r.try_get("id")?,
        client_id: r.try_get("client_id")?,
        user_id: r.try_get("user_id")?,
        status: session_status(&status),
        last_active_at: r.try_get("last_active_at")?,
        abandon_at: r.try_get("abandon_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}
