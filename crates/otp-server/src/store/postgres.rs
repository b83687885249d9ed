//! The PostgreSQL store, for several `otp-server` instances on one database. A flow that checks
//! then changes runs in one transaction that first takes transaction-scoped advisory locks on
//! what it counts (an identifier, an owner, a send scope: [`Tx::serialize_on`]), so concurrent
//! requests to any instance are serialized exactly where the policy needs it, and nowhere else;
//! outbox workers claim messages with `FOR UPDATE SKIP LOCKED`. Reads run on a pooled connection
//! without a transaction, each statement its own snapshot.

use super::rows::*;
use super::tx::{Access, Tx};
use crate::domain::Identifier;
use crate::otp::{CodeState, StoredCode};
use crate::rate_limit::Lockout;
use anyhow::Context;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgConnection, PgPool, Postgres, Row, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// The PostgreSQL-backed store. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(anyhow::Error::new(e).context("database"))
    }
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
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .context("applying migrations")?;
        Ok(Self { pool })
    }

    /// Opens what a flow runs on: a transaction for writers, a pooled connection for readers.
    pub(super) async fn begin(&self, access: Access) -> Result<PgTx, StoreError> {
        Ok(match access {
            Access::Read => PgTx::Read(self.pool.acquire().await?),
            Access::Write => PgTx::Write(self.pool.begin().await?),
        })
    }

    /// Whether the database answers (for `/healthz`).
    pub(super) async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .context("database ping")?;
        Ok(())
    }
}

/// What one flow runs on. Dropped without [`PgTx::commit`], a transaction rolls back.
pub(super) enum PgTx {
    /// A reader's connection.
    Read(PoolConnection<Postgres>),
    /// A writer's transaction.
    Write(Transaction<'static, Postgres>),
}

impl PgTx {
    /// Commits a writer's transaction (a reader has nothing to commit).
    pub(super) async fn commit(self) -> Result<(), StoreError> {
        if let Self::Write(tx) = self {
            tx.commit().await?;
        }
        Ok(())
    }

    fn conn(&mut self) -> &mut PgConnection {
        match self {
            Self::Read(conn) => conn,
            Self::Write(tx) => tx,
        }
    }

    /// Runs a statement that changes rows.
    async fn execute<'q>(
        &mut self,
        query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    ) -> Result<(), StoreError> {
        query.execute(self.conn()).await?;
        Ok(())
    }

    /// Runs a statement that removes rows; returns how many.
    async fn deleted<'q>(
        &mut self,
        query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    ) -> Result<u64, StoreError> {
        Ok(query.execute(self.conn()).await?.rows_affected())
    }
}

/// Row counts and attempt numbers are BIGINT in PostgreSQL and u32 in the code.
fn to_u32(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

impl Tx for PgTx {
    /// Transaction-scoped advisory locks, all in one statement, taken in sorted order so that
    /// two transactions never wait on each other in a cycle.
    async fn serialize_on(&mut self, keys: &[String]) -> Result<(), StoreError> {
        if matches!(self, Self::Read(_)) {
            // Outside a transaction the locks would end with the statement: nothing serialized.
            return Err(anyhow::anyhow!("serialize_on outside a write transaction").into());
        }
        self.execute(
            sqlx::query(
                "SELECT pg_advisory_xact_lock(hashtextextended(k, 0))
                 FROM (SELECT DISTINCT k FROM unnest($1::text[]) AS k ORDER BY k) AS keys",
            )
            .bind(keys),
        )
        .await
    }

    // ---- clients ----

    async fn insert_client(
        &mut self,
        id: &str,
        token_hash: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "INSERT INTO clients (id, token_hash, created_at, updated_at) VALUES ($1, $2, $3, $3)",
            )
            .bind(id)
            .bind(token_hash)
            .bind(now),
        )
        .await
    }

    async fn client(&mut self, id: &str) -> Result<Option<ClientRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CLIENT_COLUMNS} FROM clients WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(client_row).transpose()
    }

    async fn client_by_token(
        &mut self,
        token_hash: &[u8],
    ) -> Result<Option<ClientRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CLIENT_COLUMNS} FROM clients WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(client_row).transpose()
    }

    async fn set_client_sign_up(
        &mut self,
        client_id: &str,
        sign_up_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query("UPDATE clients SET sign_up_id = $1, updated_at = $2 WHERE id = $3")
                .bind(sign_up_id)
                .bind(now)
                .bind(client_id),
        )
        .await
    }

    async fn set_client_sign_in(
        &mut self,
        client_id: &str,
        sign_in_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query("UPDATE clients SET sign_in_id = $1, updated_at = $2 WHERE id = $3")
                .bind(sign_in_id)
                .bind(now)
                .bind(client_id),
        )
        .await
    }

    async fn set_client_session(
        &mut self,
        client_id: &str,
        session_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "UPDATE clients SET last_active_session_id = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(session_id)
            .bind(now)
            .bind(client_id),
        )
        .await
    }

    async fn choose_newest_session(&mut self, client_id: &str, now: i64) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "UPDATE clients SET updated_at = $1, last_active_session_id =
                   (SELECT id FROM sessions WHERE client_id = $2 AND status = 'active'
                    ORDER BY created_at DESC LIMIT 1)
                 WHERE id = $2",
            )
            .bind(now)
            .bind(client_id),
        )
        .await
    }

    async fn rotate_client(
        &mut self,
        client_id: &str,
        session_id: &str,
        token_hash: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "UPDATE clients SET last_active_session_id = $1, token_hash = $2, updated_at = $3
                 WHERE id = $4",
            )
            .bind(session_id)
            .bind(token_hash)
            .bind(now)
            .bind(client_id),
        )
        .await
    }

    // ---- users ----

    async fn user_id_by_identifier(
        &mut self,
        key: &str,
        legacy_value: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM (
               SELECT user_id, 0 AS rank FROM user_identifiers WHERE value = $2 AND legacy_exact
               UNION ALL
               SELECT user_id, 1 FROM user_identifiers WHERE canonical = $1 AND NOT legacy_exact
             ) AS found ORDER BY rank LIMIT 1",
        )
        .bind(key)
        .bind(legacy_value)
        .fetch_optional(self.conn())
        .await?)
    }

    async fn user(&mut self, id: &str) -> Result<Option<UserRow>, StoreError> {
        // The user and its identifiers in one statement: one row per identifier, the verified
        // ones first (the lock of an unverified one is not the user's).
        let rows = sqlx::query(
            "SELECT u.id, u.last_sign_in_at, u.created_at, u.updated_at,
               u.primary_email_id, u.primary_phone_id, u.banned_at,
               i.id AS identifier_id, i.kind, i.value, i.created_at AS identifier_created_at,
               i.verified, f.locked_until
             FROM users u
               LEFT JOIN (
                 SELECT id, user_id, kind, value, canonical, created_at, TRUE AS verified
                   FROM user_identifiers WHERE user_id = $1
                 UNION ALL
                 SELECT id, user_id, kind, value, canonical, created_at, FALSE
                   FROM unverified_identifiers WHERE user_id = $1
               ) i ON i.user_id = u.id
               LEFT JOIN identifier_failures f ON f.identifier = i.canonical AND i.verified
             WHERE u.id = $1 ORDER BY i.verified DESC, i.created_at, i.id",
        )
        .bind(id)
        .fetch_all(self.conn())
        .await?;
        let mut user: Option<UserRow> = None;
        for r in &rows {
            let user = match &mut user {
                Some(user) => user,
                None => user.insert(UserRow {
                    id: r.try_get("id")?,
                    last_sign_in_at: r.try_get("last_sign_in_at")?,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                    identifiers: Vec::with_capacity(1),
                    primary_email_id: r.try_get("primary_email_id")?,
                    primary_phone_id: r.try_get("primary_phone_id")?,
                    locked_until: None,
                    banned_at: r.try_get("banned_at")?,
                }),
            };
            let Some(identifier_id) = r.try_get::<Option<String>, _>("identifier_id")? else {
                continue;
            };
            user.identifiers.push(IdentifierRow {
                id: identifier_id,
                kind: identifier_kind(r.try_get("kind")?),
                value: r.try_get("value")?,
                created_at: r.try_get("identifier_created_at")?,
                verified: r.try_get("verified")?,
            });
            user.locked_until = user.locked_until.max(r.try_get("locked_until")?);
        }
        Ok(user)
    }

    async fn insert_user(&mut self, id: &str, now: i64, signed_in: bool) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "INSERT INTO users (id, last_sign_in_at, created_at, updated_at) VALUES ($1, $3, $2, $2)",
            )
            .bind(id)
            .bind(now)
            .bind(signed_in.then_some(now)),
        )
        .await
    }

    async fn insert_identifier(
        &mut self,
        id: &str,
        user_id: &str,
        identifier: &Identifier,
        now: i64,
    ) -> Result<(), StoreError> {
        let kind = identifier.kind();
        let inserted = sqlx::query(
            "INSERT INTO user_identifiers
               (id, user_id, kind, value, canonical, verified_strategy, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(user_id)
        .bind(kind.as_str())
        .bind(identifier.as_str())
        .bind(identifier.key())
        .bind(kind.strategy().as_str())
        .bind(now)
        .execute(self.conn())
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::IdentifierExists);
        }
        Ok(())
    }

    async fn insert_unverified_identifier(
        &mut self,
        id: &str,
        user_id: &str,
        identifier: &Identifier,
        now: i64,
    ) -> Result<(), StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO unverified_identifiers (id, user_id, kind, value, canonical, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(user_id)
        .bind(identifier.kind().as_str())
        .bind(identifier.as_str())
        .bind(identifier.key())
        .bind(now)
        .execute(self.conn())
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::IdentifierExists);
        }
        Ok(())
    }

    async fn delete_identifier(&mut self, id: &str) -> Result<(), StoreError> {
        for sql in [
            "DELETE FROM codes WHERE owner_id = $1",
            "DELETE FROM outbox WHERE owner_id = $1 AND status IN ('pending', 'sending')",
            "DELETE FROM unverified_identifiers WHERE id = $1",
            "DELETE FROM user_identifiers WHERE id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(self.conn()).await?;
        }
        Ok(())
    }

    async fn set_primary(
        &mut self,
        user_id: &str,
        email_id: Option<&str>,
        phone_id: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "UPDATE users SET primary_email_id = COALESCE($1, primary_email_id),
                     primary_phone_id = COALESCE($2, primary_phone_id), updated_at = $3
                 WHERE id = $4",
            )
            .bind(email_id)
            .bind(phone_id)
            .bind(now)
            .bind(user_id),
        )
        .await
    }

    async fn unkeyed_identifiers(&mut self) -> Result<Vec<(String, String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, kind, value FROM user_identifiers
             WHERE canonical IS NULL ORDER BY created_at, id",
        )
        .fetch_all(self.conn())
        .await?)
    }

    async fn identifier_key_taken(&mut self, key: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM user_identifiers WHERE canonical = $1 AND NOT legacy_exact)",
        )
        .bind(key)
        .fetch_one(self.conn())
        .await?)
    }

    async fn set_identifier_key(
        &mut self,
        id: &str,
        key: &str,
        legacy_exact: bool,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "UPDATE user_identifiers SET canonical = $1, legacy_exact = $2 WHERE id = $3",
            )
            .bind(key)
            .bind(legacy_exact)
            .bind(id),
        )
        .await
    }

    async fn set_user_signed_in(&mut self, user_id: &str, now: i64) -> Result<bool, StoreError> {
        let changed = self
            .deleted(
                sqlx::query(
                    "UPDATE users SET last_sign_in_at = $1, updated_at = $1
                     WHERE id = $2 AND banned_at IS NULL",
                )
                .bind(now)
                .bind(user_id),
            )
            .await?;
        Ok(changed == 1)
    }

    // ---- sign-ups and sign-ins ----

    async fn insert_sign_up(
        &mut self,
        id: &str,
        client_id: &str,
        identifier: &Identifier,
        now: i64,
        abandon_at: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "INSERT INTO sign_ups (id, client_id, kind, identifier, status, created_at, updated_at, abandon_at)
                 VALUES ($1, $2, $3, $4, 'missing_requirements', $5, $5, $6)",
            )
            .bind(id)
            .bind(client_id)
            .bind(identifier.kind().as_str())
            .bind(identifier.as_str())
            .bind(now)
            .bind(abandon_at),
        )
        .await
    }

    async fn sign_up(&mut self, id: &str) -> Result<Option<SignUpRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT s.id, s.client_id, s.kind, s.identifier, s.status, s.created_user_id,
               s.created_session_id, s.abandon_at, {CODE_COLUMNS}
             FROM sign_ups s LEFT JOIN codes k ON k.owner_id = s.id WHERE s.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.conn())
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(SignUpRow {
            id: r.try_get("id")?,
            client_id: r.try_get("client_id")?,
            identifier: Identifier::from_stored(r.try_get("kind")?, r.try_get("identifier")?),
            status: sign_up_status(r.try_get("status")?),
            created_user_id: r.try_get("created_user_id")?,
            created_session_id: r.try_get("created_session_id")?,
            abandon_at: r.try_get("abandon_at")?,
            code: code_of(&r)?,
        }))
    }

    async fn complete_sign_up(
        &mut self,
        id: &str,
        user_id: &str,
        session_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "UPDATE sign_ups SET status = 'complete', created_user_id = $1, created_session_id = $2,
                   updated_at = $3
                 WHERE id = $4",
            )
            .bind(user_id)
            .bind(session_id)
            .bind(now)
            .bind(id),
        )
        .await
    }

    async fn insert_sign_in(
        &mut self,
        id: &str,
        client_id: &str,
        identifier: &Identifier,
        user_id: &str,
        now: i64,
        abandon_at: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "INSERT INTO sign_ins (id, client_id, identifier, user_id, status, created_at, updated_at, abandon_at)
                 VALUES ($1, $2, $3, $4, 'needs_first_factor', $5, $5, $6)",
            )
            .bind(id)
            .bind(client_id)
            .bind(identifier.as_str())
            .bind(user_id)
            .bind(now)
            .bind(abandon_at),
        )
        .await
    }

    async fn insert_decoy_sign_in(
        &mut self,
        id: &str,
        client_id: &str,
        identifier: &Identifier,
        factor_id: &str,
        now: i64,
        abandon_at: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "INSERT INTO sign_ins (id, client_id, identifier, decoy_factor_id, status, created_at, updated_at, abandon_at)
                 VALUES ($1, $2, $3, $4, 'needs_first_factor', $5, $5, $6)",
            )
            .bind(id)
            .bind(client_id)
            .bind(identifier.as_str())
            .bind(factor_id)
            .bind(now)
            .bind(abandon_at),
        )
        .await
    }

    async fn sign_in(&mut self, id: &str) -> Result<Option<SignInRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT s.id, s.client_id, s.identifier, s.user_id, s.decoy_factor_id, s.status,
               s.created_session_id, s.abandon_at, {CODE_COLUMNS}
             FROM sign_ins s LEFT JOIN codes k ON k.owner_id = s.id WHERE s.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.conn())
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(SignInRow {
            id: r.try_get("id")?,
            client_id: r.try_get("client_id")?,
            identifier: sign_in_identifier(r.try_get("identifier")?),
            user_id: r.try_get("user_id")?,
            decoy_factor_id: r.try_get("decoy_factor_id")?,
            status: sign_in_status(r.try_get("status")?),
            created_session_id: r.try_get("created_session_id")?,
            abandon_at: r.try_get("abandon_at")?,
            code: code_of(&r)?,
            factors: Vec::new(),
        }))
    }

    async fn complete_sign_in(
        &mut self,
        id: &str,
        session_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "UPDATE sign_ins SET status = 'complete', created_session_id = $1, updated_at = $2
                 WHERE id = $3",
            )
            .bind(session_id)
            .bind(now)
            .bind(id),
        )
        .await
    }

    // ---- codes, limits, lock-outs ----

    async fn upsert_code(&mut self, p: &PrepareCode<'_>) -> Result<(), StoreError> {
        self.execute(
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
            .bind(p.now),
        )
        .await
    }

    async fn code(&mut self, owner_id: &str) -> Result<Option<(Vec<u8>, StoredCode)>, StoreError> {
        let row =
            sqlx::query("SELECT mac, status, attempts, expire_at FROM codes WHERE owner_id = $1")
                .bind(owner_id)
                .fetch_optional(self.conn())
                .await?;
        row.map(|r| {
            let stored = StoredCode {
                state: code_state(r.try_get("status")?)?,
                attempts: to_u32(r.try_get("attempts")?),
                expire_at: r.try_get("expire_at")?,
            };
            Ok((r.try_get("mac")?, stored))
        })
        .transpose()
    }

    async fn code_row(&mut self, owner_id: &str) -> Result<Option<CodeRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CODE_COLUMNS} FROM codes k WHERE k.owner_id = $1"
        ))
        .bind(owner_id)
        .fetch_optional(self.conn())
        .await?;
        match row {
            Some(r) => code_of(&r),
            None => Ok(None),
        }
    }

    async fn set_code(
        &mut self,
        owner_id: &str,
        state: CodeState,
        attempts: u32,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query("UPDATE codes SET status = $1, attempts = $2 WHERE owner_id = $3")
                .bind(code_status_name(state))
                .bind(i64::from(attempts))
                .bind(owner_id),
        )
        .await
    }

    async fn prune_sends(&mut self, scope: &str, before: i64) -> Result<(), StoreError> {
        self.execute(
            sqlx::query("DELETE FROM send_events WHERE scope = $1 AND at <= $2")
                .bind(scope)
                .bind(before),
        )
        .await
    }

    async fn send_times(&mut self, scope: &str) -> Result<Vec<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT at FROM send_events WHERE scope = $1")
                .bind(scope)
                .fetch_all(self.conn())
                .await?,
        )
    }

    async fn insert_send(&mut self, scope: &str, at: i64) -> Result<(), StoreError> {
        self.execute(
            sqlx::query("INSERT INTO send_events (scope, at) VALUES ($1, $2)")
                .bind(scope)
                .bind(at),
        )
        .await
    }

    async fn lockout(&mut self, identifier: &str) -> Result<Lockout, StoreError> {
        let row = sqlx::query(
            "SELECT failures, locked_until FROM identifier_failures WHERE identifier = $1",
        )
        .bind(identifier)
        .fetch_optional(self.conn())
        .await?;
        Ok(match row {
            Some(r) => Lockout {
                failures: to_u32(r.try_get("failures")?),
                locked_until: r.try_get("locked_until")?,
            },
            None => Lockout::default(),
        })
    }

    async fn set_lockout(
        &mut self,
        identifier: &str,
        lockout: Lockout,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "INSERT INTO identifier_failures (identifier, failures, locked_until, updated_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (identifier) DO UPDATE SET failures = excluded.failures,
                   locked_until = excluded.locked_until, updated_at = excluded.updated_at",
            )
            .bind(identifier)
            .bind(i64::from(lockout.failures))
            .bind(lockout.locked_until)
            .bind(now),
        )
        .await
    }

    async fn clear_lockout(&mut self, identifier: &str) -> Result<(), StoreError> {
        self.execute(
            sqlx::query("DELETE FROM identifier_failures WHERE identifier = $1").bind(identifier),
        )
        .await
    }

    async fn sms_blocked_until(&mut self, prefix: &str) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT MAX(blocked_until) FROM sms_fraud_blocks WHERE prefix = $1")
                .bind(prefix)
                .fetch_one(self.conn())
                .await?,
        )
    }

    async fn insert_fraud_block(&mut self, b: &FraudBlock) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "INSERT INTO sms_fraud_blocks (prefix, blocked_at, blocked_until, sends, verified)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&b.prefix)
            .bind(b.blocked_at)
            .bind(b.blocked_until)
            .bind(i64::from(b.sends))
            .bind(i64::from(b.verified)),
        )
        .await
    }

    async fn fraud_blocks(&mut self, since: i64) -> Result<Vec<FraudBlock>, StoreError> {
        let rows = sqlx::query(
            "SELECT prefix, blocked_at, blocked_until, sends, verified FROM sms_fraud_blocks
             WHERE blocked_at >= $1 ORDER BY blocked_at, id",
        )
        .bind(since)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FraudBlock {
                    prefix: r.try_get("prefix")?,
                    blocked_at: r.try_get("blocked_at")?,
                    blocked_until: r.try_get("blocked_until")?,
                    sends: to_u32(r.try_get("sends")?),
                    verified: to_u32(r.try_get("verified")?),
                })
            })
            .collect()
    }

    // ---- sessions ----

    async fn insert_session(
        &mut self,
        id: &str,
        client_id: &str,
        user_id: &str,
        now: i64,
        abandon_at: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "INSERT INTO sessions (id, client_id, user_id, status, last_active_at, abandon_at, created_at, updated_at)
                 VALUES ($1, $2, $3, 'active', $4, $5, $4, $4)",
            )
            .bind(id)
            .bind(client_id)
            .bind(user_id)
            .bind(now)
            .bind(abandon_at),
        )
        .await
    }

    async fn session(
        &mut self,
        client_id: &str,
        session_id: &str,
    ) -> Result<Option<SessionRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1 AND client_id = $2"
        ))
        .bind(session_id)
        .bind(client_id)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(session_row).transpose()
    }

    async fn active_sessions(&mut self, client_id: &str) -> Result<Vec<SessionRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions
             WHERE client_id = $1 AND status = 'active' ORDER BY created_at"
        ))
        .bind(client_id)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(session_row).collect()
    }

    async fn touch_session(
        &mut self,
        client_id: &str,
        session_id: &str,
        now: i64,
        activity: &Activity,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "UPDATE sessions SET last_active_at = $1, updated_at = $1,
                     activity_ip = COALESCE($4, activity_ip),
                     activity_agent = COALESCE($5, activity_agent)
                 WHERE id = $2 AND client_id = $3",
            )
            .bind(now)
            .bind(session_id)
            .bind(client_id)
            .bind(activity.ip.as_deref())
            .bind(activity.user_agent.as_deref()),
        )
        .await
    }

    async fn delete_user(&mut self, user_id: &str) -> Result<(), StoreError> {
        for sql in [
            "UPDATE clients SET sign_in_id = NULL WHERE sign_in_id IN (SELECT id FROM sign_ins WHERE user_id = $1)",
            "UPDATE clients SET sign_up_id = NULL WHERE sign_up_id IN (SELECT id FROM sign_ups WHERE created_user_id = $1)",
            "DELETE FROM codes WHERE owner_id IN (SELECT id FROM sign_ins WHERE user_id = $1) OR owner_id IN (SELECT id FROM sign_ups WHERE created_user_id = $1) OR owner_id IN (SELECT id FROM sessions WHERE user_id = $1) OR owner_id IN (SELECT id FROM user_identifiers WHERE user_id = $1) OR owner_id IN (SELECT id FROM unverified_identifiers WHERE user_id = $1)",
            "DELETE FROM outbox WHERE owner_id IN (SELECT id FROM sign_ins WHERE user_id = $1) OR owner_id IN (SELECT id FROM sign_ups WHERE created_user_id = $1) OR owner_id IN (SELECT id FROM sessions WHERE user_id = $1) OR owner_id IN (SELECT id FROM user_identifiers WHERE user_id = $1) OR owner_id IN (SELECT id FROM unverified_identifiers WHERE user_id = $1) OR recipient IN (SELECT value FROM user_identifiers WHERE user_id = $1)",
            "DELETE FROM dev_outbox WHERE recipient IN (SELECT value FROM user_identifiers WHERE user_id = $1)",
            "DELETE FROM webhook_outbox WHERE user_id = $1 AND status IN ('sent', 'failed')",
            "DELETE FROM identifier_failures WHERE identifier IN (SELECT value FROM user_identifiers WHERE user_id = $1) OR identifier IN (SELECT canonical FROM user_identifiers WHERE user_id = $1)",
            "DELETE FROM sign_ins WHERE user_id = $1",
            "DELETE FROM sign_ups WHERE created_user_id = $1",
            "DELETE FROM sessions WHERE user_id = $1",
            "DELETE FROM user_identifiers WHERE user_id = $1",
            "DELETE FROM unverified_identifiers WHERE user_id = $1",
            "DELETE FROM users WHERE id = $1",
        ] {
            sqlx::query(sql).bind(user_id).execute(self.conn()).await?;
        }
        Ok(())
    }

    async fn user_sessions(&mut self, user_id: &str) -> Result<Vec<SessionRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions
             WHERE user_id = $1 AND status = 'active' ORDER BY created_at"
        ))
        .bind(user_id)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(session_row).collect()
    }

    async fn revoke_session(&mut self, session_id: &str, now: i64) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE sessions SET status = 'revoked', updated_at = $1
             WHERE id = $2 AND status = 'active'",
        )
        .bind(now)
        .bind(session_id)
        .execute(self.conn())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    async fn set_session_verified(&mut self, session_id: &str, now: i64) -> Result<(), StoreError> {
        self.execute(
            sqlx::query("UPDATE sessions SET verified_at = $1, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(session_id),
        )
        .await
    }

    async fn end_sessions(
        &mut self,
        client_id: &str,
        session_id: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "UPDATE sessions SET status = 'ended', updated_at = $1
                 WHERE client_id = $2 AND status = 'active' AND ($3::text IS NULL OR id = $3)",
            )
            .bind(now)
            .bind(client_id)
            .bind(session_id),
        )
        .await
    }

    // ---- the delivery outbox ----

    async fn supersede_outbox(&mut self, owner_id: &str, now: i64) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "UPDATE outbox SET status = 'superseded', payload = NULL, finished_at = $1
                 WHERE owner_id = $2 AND status IN ('pending', 'sending')",
            )
            .bind(now)
            .bind(owner_id),
        )
        .await
    }

    async fn insert_outbox(
        &mut self,
        owner_id: &str,
        o: &NewOutbox,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "INSERT INTO outbox (owner_id, channel, recipient, locale, payload, status, attempts, next_attempt_at,
                   deadline_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $6)",
            )
            .bind(owner_id)
            .bind(channel_name(o.channel))
            .bind(&o.recipient)
            .bind(&o.locale)
            .bind(&o.payload)
            .bind(now)
            .bind(o.deadline_at),
        )
        .await
    }

    /// `SKIP LOCKED`: a worker passes over the message another one is claiming.
    async fn claim_outbox(
        &mut self,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<OutboxJob>, StoreError> {
        let row = sqlx::query(
            "UPDATE outbox SET status = 'sending', lease_until = $1
             WHERE id = (SELECT id FROM outbox
                         WHERE (status = 'pending' AND next_attempt_at <= $2)
                            OR (status = 'sending' AND lease_until <= $2)
                         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
             RETURNING id, owner_id, channel, recipient, locale, payload, attempts, deadline_at",
        )
        .bind(lease_until)
        .bind(now)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| {
            Ok(OutboxJob {
                id: r.try_get("id")?,
                owner_id: r.try_get("owner_id")?,
                channel: channel_of(r.try_get("channel")?),
                recipient: r.try_get("recipient")?,
                locale: r.try_get("locale")?,
                payload: r.try_get("payload")?,
                attempts: to_u32(r.try_get("attempts")?),
                deadline_at: r.try_get("deadline_at")?,
            })
        })
        .transpose()
    }

    async fn retry_outbox(
        &mut self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "UPDATE outbox SET status = 'pending', attempts = attempts + 1, next_attempt_at = $1,
                   lease_until = NULL, last_error = $2
                 WHERE id = $3 AND status = 'sending'",
            )
            .bind(next_attempt_at)
            .bind(error)
            .bind(id),
        )
        .await
    }

    async fn finish_outbox(
        &mut self,
        id: i64,
        now: i64,
        outcome: &OutboxOutcome,
    ) -> Result<(), StoreError> {
        let (status, provider_id, error) = outcome.columns();
        self.execute(
            sqlx::query(
                "UPDATE outbox SET status = $1, attempts = attempts + 1, provider_id = $2,
                   last_error = COALESCE($3, last_error), payload = NULL, lease_until = NULL, finished_at = $4
                 WHERE id = $5",
            )
            .bind(status)
            .bind(provider_id)
            .bind(error)
            .bind(now)
            .bind(id),
        )
        .await
    }

    async fn insert_dev_message(
        &mut self,
        m: &otp_proto::dev::OutboxMessage,
        key: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "INSERT INTO dev_outbox (recipient, recipient_key, channel, code, body, sent_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&m.to)
            .bind(key)
            .bind(channel_name(m.channel))
            .bind(&m.code)
            .bind(&m.body)
            .bind(m.sent_at),
        )
        .await
    }

    async fn dev_message(
        &mut self,
        key: &str,
    ) -> Result<Option<otp_proto::dev::OutboxMessage>, StoreError> {
        let row = sqlx::query(
            "SELECT recipient, channel, code, body, sent_at FROM dev_outbox
             WHERE recipient_key = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(key)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| {
            Ok(otp_proto::dev::OutboxMessage {
                to: r.try_get("recipient")?,
                channel: channel_of(r.try_get("channel")?),
                code: r.try_get("code")?,
                body: r.try_get("body")?,
                sent_at: r.try_get("sent_at")?,
            })
        })
        .transpose()
    }

    // ---- housekeeping ----

    /// A transaction-scoped advisory lock, tried without waiting: one janitor at a time over
    /// all the instances on this database; the others skip their round.
    async fn try_lead(&mut self, name: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(format!("lead:{name}"))
                .fetch_one(self.conn())
                .await?,
        )
    }

    async fn delete_stale_sessions(
        &mut self,
        before: i64,
        idle_ms: i64,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "DELETE FROM sessions WHERE id IN (
               SELECT id FROM sessions
               WHERE (status <> 'active' AND updated_at <= $1)
                  OR (status = 'active' AND (abandon_at <= $1 OR last_active_at <= $2))
               LIMIT $3 FOR UPDATE SKIP LOCKED)
             RETURNING id",
        )
        .bind(before)
        // Subtracted here: `last_active_at + idle` overflows BIGINT with a huge idle timeout.
        .bind(before.saturating_sub(idle_ms))
        .bind(i64::from(limit))
        .fetch_all(self.conn())
        .await?)
    }

    async fn forget_session_choices(&mut self, session_ids: &[String]) -> Result<(), StoreError> {
        if session_ids.is_empty() {
            return Ok(());
        }
        self.execute(
            sqlx::query(
                "UPDATE clients SET last_active_session_id = NULL
                 WHERE last_active_session_id = ANY($1)",
            )
            .bind(session_ids),
        )
        .await
    }

    async fn delete_expired_sign_ups(
        &mut self,
        now: i64,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "DELETE FROM sign_ups WHERE id IN (
               SELECT id FROM sign_ups WHERE abandon_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)
             RETURNING id",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(self.conn())
        .await?)
    }

    async fn delete_expired_sign_ins(
        &mut self,
        now: i64,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "DELETE FROM sign_ins WHERE id IN (
               SELECT id FROM sign_ins WHERE abandon_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)
             RETURNING id",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(self.conn())
        .await?)
    }

    async fn delete_codes(&mut self, owner_ids: &[String]) -> Result<u64, StoreError> {
        if owner_ids.is_empty() {
            return Ok(0);
        }
        self.deleted(sqlx::query("DELETE FROM codes WHERE owner_id = ANY($1)").bind(owner_ids))
            .await
    }

    async fn delete_idle_clients(&mut self, before: i64, limit: u32) -> Result<u64, StoreError> {
        self.deleted(
            sqlx::query(
                "DELETE FROM clients WHERE id IN (
                   SELECT c.id FROM clients c
                   WHERE c.updated_at <= $1
                     AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.client_id = c.id)
                     AND NOT EXISTS (SELECT 1 FROM sign_ups u WHERE u.client_id = c.id)
                     AND NOT EXISTS (SELECT 1 FROM sign_ins i WHERE i.client_id = c.id)
                   LIMIT $2 FOR UPDATE SKIP LOCKED)",
            )
            .bind(before)
            .bind(i64::from(limit)),
        )
        .await
    }

    async fn delete_old_sends(&mut self, before: i64, limit: u32) -> Result<u64, StoreError> {
        self.deleted(
            sqlx::query(
                "DELETE FROM send_events WHERE ctid IN (
                   SELECT ctid FROM send_events WHERE at <= $1 LIMIT $2)",
            )
            .bind(before)
            .bind(i64::from(limit)),
        )
        .await
    }

    async fn delete_finished_messages(
        &mut self,
        before: i64,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let outbox = self
            .deleted(
                sqlx::query(
                    "DELETE FROM outbox WHERE id IN (
                       SELECT id FROM outbox
                       WHERE status IN ('sent', 'failed', 'superseded') AND finished_at <= $1
                       LIMIT $2 FOR UPDATE SKIP LOCKED)",
                )
                .bind(before)
                .bind(i64::from(limit)),
            )
            .await?;
        let dev = self
            .deleted(
                sqlx::query(
                    "DELETE FROM dev_outbox WHERE id IN (
                       SELECT id FROM dev_outbox WHERE sent_at <= $1 LIMIT $2)",
                )
                .bind(before)
                .bind(i64::from(limit)),
            )
            .await?;
        let webhooks = self
            .deleted(
                sqlx::query(
                    "DELETE FROM webhook_outbox WHERE id IN (
                       SELECT id FROM webhook_outbox
                       WHERE status IN ('sent', 'failed') AND finished_at <= $1
                       LIMIT $2 FOR UPDATE SKIP LOCKED)",
                )
                .bind(before)
                .bind(i64::from(limit)),
            )
            .await?;
        Ok(outbox + dev + webhooks)
    }

    async fn delete_spent_lockouts(
        &mut self,
        now: i64,
        forgotten_before: i64,
        limit: u32,
    ) -> Result<u64, StoreError> {
        self.deleted(
            sqlx::query(
                "DELETE FROM identifier_failures WHERE identifier IN (
                   SELECT identifier FROM identifier_failures
                   WHERE (failures = 0 OR updated_at < $1)
                     AND (locked_until IS NULL OR locked_until <= $2)
                   LIMIT $3 FOR UPDATE SKIP LOCKED)",
            )
            .bind(forgotten_before)
            .bind(now)
            .bind(i64::from(limit)),
        )
        .await
    }

    async fn delete_old_fraud_blocks(
        &mut self,
        before: i64,
        limit: u32,
    ) -> Result<u64, StoreError> {
        self.deleted(
            sqlx::query(
                "DELETE FROM sms_fraud_blocks WHERE id IN (
                   SELECT id FROM sms_fraud_blocks WHERE blocked_until <= $1 LIMIT $2)",
            )
            .bind(before)
            .bind(i64::from(limit)),
        )
        .await
    }

    // ---- the Backend API ----

    async fn user_ids(
        &mut self,
        filter: &UserFilter,
        order: UserOrder,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<String>, StoreError> {
        let order = match order {
            UserOrder::NewestFirst => "u.created_at DESC, u.id DESC",
            UserOrder::OldestFirst => "u.created_at, u.id",
        };
        Ok(sqlx::query_scalar(&format!(
            "SELECT u.id FROM users u WHERE {USER_FILTER} ORDER BY {order} LIMIT $5 OFFSET $6"
        ))
        .bind(&filter.contains)
        .bind(&filter.digits)
        .bind(&filter.user_ids)
        .bind(&filter.identifier_keys)
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(self.conn())
        .await?)
    }

    async fn count_users(&mut self, filter: &UserFilter) -> Result<u64, StoreError> {
        let count: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users u WHERE {USER_FILTER}"))
                .bind(&filter.contains)
                .bind(&filter.digits)
                .bind(&filter.user_ids)
                .bind(&filter.identifier_keys)
                .fetch_one(self.conn())
                .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn set_banned(
        &mut self,
        user_id: &str,
        banned_at: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query("UPDATE users SET banned_at = $1, updated_at = $2 WHERE id = $3")
                .bind(banned_at)
                .bind(now)
                .bind(user_id),
        )
        .await
    }

    async fn session_by_id(&mut self, id: &str) -> Result<Option<SessionRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(session_row).transpose()
    }

    async fn sessions_of(
        &mut self,
        user_id: Option<&str>,
        client_id: Option<&str>,
    ) -> Result<Vec<SessionRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions
             WHERE ($1::text IS NULL OR user_id = $1) AND ($2::text IS NULL OR client_id = $2)
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(user_id)
        .bind(client_id)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(session_row).collect()
    }

    async fn insert_api_key(
        &mut self,
        key: &ApiKeyRow,
        token_hash: &[u8],
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "INSERT INTO api_keys (id, name, token_hash, hint, created_at, revoked_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&key.id)
            .bind(&key.name)
            .bind(token_hash)
            .bind(&key.hint)
            .bind(key.created_at)
            .bind(key.revoked_at),
        )
        .await
    }

    async fn api_keys(&mut self) -> Result<Vec<ApiKeyRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY created_at, id"
        ))
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(api_key_row).collect()
    }

    async fn api_key(&mut self, token_hash: &[u8]) -> Result<Option<ApiKeyRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(api_key_row).transpose()
    }

    async fn revoke_api_key(&mut self, id_or_name: &str, now: i64) -> Result<u64, StoreError> {
        self.deleted(
            sqlx::query(
                "UPDATE api_keys SET revoked_at = $1
                 WHERE (id = $2 OR name = $2) AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id_or_name),
        )
        .await
    }

    // ---- webhooks ----

    async fn insert_webhook(&mut self, e: &NewWebhook<'_>, now: i64) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "INSERT INTO webhook_outbox (msg_id, endpoint_id, user_id, body, status,
                   next_attempt_at, deadline_at, created_at)
                 VALUES ($1, $2, $3, $4, 'pending', $5, $6, $5)",
            )
            .bind(e.msg_id)
            .bind(e.endpoint_id)
            .bind(e.user_id)
            .bind(e.body)
            .bind(now)
            .bind(e.deadline_at),
        )
        .await
    }

    async fn claim_webhook(
        &mut self,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<WebhookJob>, StoreError> {
        // An older event of the user, pending or being sent (committed as either), holds the
        // newer ones back on every instance. A lease that ran out first (always the head of
        // its user's events), else the first due event in the due index whose user has none
        // older to send: the index walk stops at the first one, however many wait behind a
        // down endpoint.
        let row = sqlx::query(
            "UPDATE webhook_outbox SET status = 'sending', lease_until = $1
             WHERE id = COALESCE(
               (SELECT w.id FROM webhook_outbox w
                 WHERE w.status = 'sending' AND w.lease_until <= $2
                 ORDER BY w.id LIMIT 1 FOR UPDATE SKIP LOCKED),
               (SELECT w.id FROM webhook_outbox w
                 WHERE w.status = 'pending' AND w.next_attempt_at <= $2
                   AND NOT EXISTS (
                     SELECT 1 FROM webhook_outbox o
                     WHERE o.user_id = w.user_id AND o.endpoint_id = w.endpoint_id
                       AND o.id < w.id AND o.status IN ('pending', 'sending'))
                 ORDER BY w.next_attempt_at, w.id LIMIT 1 FOR UPDATE SKIP LOCKED))
             RETURNING id, msg_id, endpoint_id, body, attempts, deadline_at",
        )
        .bind(lease_until)
        .bind(now)
        .fetch_optional(self.conn())
        .await?;
        row.map(|r| {
            Ok(WebhookJob {
                id: r.try_get("id")?,
                msg_id: r.try_get("msg_id")?,
                endpoint_id: r.try_get("endpoint_id")?,
                body: r.try_get("body")?,
                attempts: to_u32(r.try_get("attempts")?),
                deadline_at: r.try_get("deadline_at")?,
            })
        })
        .transpose()
    }

    async fn retry_webhook(
        &mut self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "UPDATE webhook_outbox SET status = 'pending', attempts = attempts + 1,
                   next_attempt_at = $1, lease_until = NULL, last_error = $2
                 WHERE id = $3 AND status = 'sending'",
            )
            .bind(next_attempt_at)
            .bind(error)
            .bind(id),
        )
        .await?;
        // The user's later events to the endpoint wait for this one: not due before it, so a
        // claim never looks at them in vain meanwhile.
        self.execute(
            sqlx::query(
                "UPDATE webhook_outbox SET next_attempt_at = GREATEST(next_attempt_at, $1)
                 WHERE status = 'pending' AND id > $2
                   AND (user_id, endpoint_id) = (SELECT user_id, endpoint_id FROM webhook_outbox
                                                 WHERE id = $2)",
            )
            .bind(next_attempt_at)
            .bind(id),
        )
        .await
    }

    async fn finish_webhook(
        &mut self,
        id: i64,
        now: i64,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let status = if error.is_some() { "failed" } else { "sent" };
        self.execute(
            sqlx::query(
                "UPDATE webhook_outbox SET status = $1, attempts = attempts + 1,
                   last_error = COALESCE($2, last_error), lease_until = NULL, finished_at = $3
                 WHERE id = $4",
            )
            .bind(status)
            .bind(error)
            .bind(now)
            .bind(id),
        )
        .await
    }

    async fn outbox_backlog(&mut self) -> Result<(u64, Option<i64>), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox
             WHERE status IN ('pending', 'sending')",
        )
        .fetch_one(self.conn())
        .await?;
        let n: i64 = row.try_get("n")?;
        Ok((u64::try_from(n).unwrap_or(0), row.try_get("oldest")?))
    }

    async fn webhook_backlog(&mut self) -> Result<(u64, Option<i64>), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM webhook_outbox
             WHERE status IN ('pending', 'sending')",
        )
        .fetch_one(self.conn())
        .await?;
        let n: i64 = row.try_get("n")?;
        Ok((u64::try_from(n).unwrap_or(0), row.try_get("oldest")?))
    }

    async fn webhook_endpoints(&mut self) -> Result<Vec<WebhookEndpointRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, url, secret, created_at FROM webhook_endpoints ORDER BY created_at, id",
        )
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WebhookEndpointRow {
                    id: r.try_get("id")?,
                    url: r.try_get("url")?,
                    secret: r.try_get("secret")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn insert_webhook_endpoint(
        &mut self,
        row: &WebhookEndpointRow,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "INSERT INTO webhook_endpoints (id, url, secret, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&row.id)
            .bind(&row.url)
            .bind(&row.secret)
            .bind(row.created_at),
        )
        .await
    }

    async fn delete_webhook_endpoint(&mut self, id: &str) -> Result<u64, StoreError> {
        self.deleted(sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1").bind(id))
            .await
    }

    // ---- keys ----

    async fn insert_secret(
        &mut self,
        name: &str,
        secret: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "INSERT INTO server_keys (name, secret, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(secret)
            .bind(now),
        )
        .await
    }

    async fn secret(&mut self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT secret FROM server_keys WHERE name = $1")
                .bind(name)
                .fetch_optional(self.conn())
                .await?,
        )
    }

    async fn jwt_keys(&mut self) -> Result<Vec<JwtKeyRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT generation, pem, created_at, algorithm, revoked_at FROM jwt_keys
             ORDER BY generation",
        )
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(JwtKeyRow {
                    generation: r.try_get("generation")?,
                    pem: r.try_get("pem")?,
                    created_at: r.try_get("created_at")?,
                    algorithm: r.try_get("algorithm")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    async fn revoke_jwt_keys_before(
        &mut self,
        generation: i64,
        now: i64,
    ) -> Result<u64, StoreError> {
        self.deleted(
            sqlx::query(
                "UPDATE jwt_keys SET revoked_at = $1 WHERE generation < $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(generation),
        )
        .await
    }

    async fn insert_jwt_key(&mut self, key: &JwtKeyRow) -> Result<(), StoreError> {
        self.execute(
            sqlx::query(
                "INSERT INTO jwt_keys (generation, pem, created_at, algorithm)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (generation) DO NOTHING",
            )
            .bind(key.generation)
            .bind(&key.pem)
            .bind(key.created_at)
            .bind(&key.algorithm),
        )
        .await
    }
}

/// The columns of an owner's current code (joined as `k`) and its latest delivery status, for
/// the queries that load a sign-up or sign-in with its code in one statement.
const CODE_COLUMNS: &str = "k.strategy AS code_strategy, k.identifier AS code_identifier,
    k.status AS code_status, k.attempts AS code_attempts, k.expire_at AS code_expire_at,
    (SELECT status FROM outbox WHERE outbox.owner_id = k.owner_id ORDER BY id DESC LIMIT 1) AS delivery";

/// The code of a row selected with [`CODE_COLUMNS`], if the owner has one.
fn code_of(r: &PgRow) -> Result<Option<CodeRow>, StoreError> {
    let Some(strategy_name) = r.try_get::<Option<&str>, _>("code_strategy")? else {
        return Ok(None);
    };
    let delivery: Option<&str> = r.try_get("delivery")?;
    Ok(Some(CodeRow {
        strategy: strategy(strategy_name)?,
        sent_to: r.try_get("code_identifier")?,
        attempts: to_u32(r.try_get("code_attempts")?),
        state: code_state(r.try_get("code_status")?)?,
        expire_at: r.try_get("code_expire_at")?,
        delivery: delivery.map(delivery_status),
    }))
}

/// The columns [`client_row`] reads.
const CLIENT_COLUMNS: &str =
    "id, sign_up_id, sign_in_id, last_active_session_id, created_at, updated_at";

fn client_row(r: &PgRow) -> Result<ClientRow, StoreError> {
    Ok(ClientRow {
        id: r.try_get("id")?,
        sign_up_id: r.try_get("sign_up_id")?,
        sign_in_id: r.try_get("sign_in_id")?,
        last_active_session_id: r.try_get("last_active_session_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// The condition of [`UserFilter`] on `users u`, over `$1` (contains), `$2` (digits), `$3`
/// (user ids) and `$4` (identifier keys).
const USER_FILTER: &str = "($1::text IS NULL OR lower(u.id) LIKE $1 ESCAPE '\\'
       OR EXISTS (SELECT 1 FROM user_identifiers i WHERE i.user_id = u.id
                    AND (lower(i.value) LIKE $1 ESCAPE '\\'
                         OR ($2::text IS NOT NULL AND i.kind = 'phone' AND i.value LIKE $2)))
     )
     AND (cardinality($3::text[]) = 0 OR u.id = ANY($3))
     AND (cardinality($4::text[]) = 0 OR EXISTS (
           SELECT 1 FROM user_identifiers i WHERE i.user_id = u.id
             AND (i.canonical = ANY($4) OR i.value = ANY($4))))";

/// The columns [`api_key_row`] reads.
const API_KEY_COLUMNS: &str = "id, name, hint, created_at, revoked_at";

fn api_key_row(r: &PgRow) -> Result<ApiKeyRow, StoreError> {
    Ok(ApiKeyRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        hint: r.try_get("hint")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

/// The columns [`session_row`] reads.
const SESSION_COLUMNS: &str = "id, client_id, user_id, status, last_active_at, abandon_at, \
     created_at, updated_at, activity_ip, activity_agent, COALESCE(verified_at, created_at) AS verified_at";

fn session_row(r: &PgRow) -> Result<SessionRow, StoreError> {
    Ok(SessionRow {
        id: r.try_get("id")?,
        client_id: r.try_get("client_id")?,
        user_id: r.try_get("user_id")?,
        status: session_status(r.try_get("status")?),
        last_active_at: r.try_get("last_active_at")?,
        abandon_at: r.try_get("abandon_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        activity: Activity {
            ip: r.try_get("activity_ip")?,
            user_agent: r.try_get("activity_agent")?,
        },
        verified_at: r.try_get("verified_at")?,
    })
}
