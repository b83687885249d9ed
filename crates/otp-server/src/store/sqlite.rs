//! The SQLite store: WAL mode, one `BEGIN IMMEDIATE` write transaction per operation that
//! checks then changes, so concurrent requests are serialized exactly where the policy needs it.
//!
//! SQLite runs in this process, so it is called directly (rusqlite) on the request's own thread,
//! on one connection behind a lock, with every statement prepared once: an operation takes tens
//! of microseconds, less than handing it to another thread would cost, and finds its pages in
//! the connection's cache (a second connection's cache is void after every commit of the first).
//! docs/benchmarks.md has the designs this one replaced, measured: sqlx (a round trip to a worker
//! thread per statement), `block_in_place` (a thread handoff per operation), read-only
//! connections beside the writer. The lock also queues this process's writers in order instead
//! of letting them collide on SQLite's own lock, whose busy handler sleeps for milliseconds.
//! A commit only appends to the WAL; the checkpoint that copies the WAL into the database and
//! syncs it runs on a thread of its own ([`checkpointer`]). Migrations stay with sqlx's migrator.

use super::*;
use crate::otp::{self, StoredCode};
use crate::rate_limit::{self, HOUR_MS, Lockout};
use anyhow::Context;
use async_trait::async_trait;
use rusqlite::params;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, Transaction, TransactionBehavior};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

/// The SQLite-backed store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// For the migrator.
    options: SqliteConnectOptions,
    /// The connection every operation runs on, one at a time.
    connection: Mutex<Connection>,
    /// Commits so far, to wake the checkpointer every [`CHECKPOINT_EVERY`].
    commits: AtomicU64,
    /// Wakes the [`checkpointer`] thread; it ends when the store is dropped.
    checkpoint: SyncSender<()>,
}

/// How long a connection waits for another process's lock before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Commits between two checkpoints: a few hundred keep the WAL within tens of megabytes.
const CHECKPOINT_EVERY: u64 = 256;

/// Distinct statements the store prepares on one connection (all of them stay prepared).
const STATEMENT_CACHE: usize = 64;

/// The database holds the server's keys and users' identifiers: only its owner may read it (and
/// its WAL and shared-memory files, which hold recent pages).
fn restrict_to_owner(db: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("restricting {}", path.display()))?;
        }
    }
    let _ = db;
    Ok(())
}

/// Opens a connection with the server's settings (the journal mode, WAL, is the database's own,
/// set by the migrator).
fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Unexpected(anyhow::Error::new(e).context("database"))
    }
}

/// Whether `e` is a UNIQUE (or primary key) constraint refusing a second row.
fn is_unique_violation(e: &rusqlite::Error) -> bool {
    use rusqlite::ffi::{SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE};
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == SQLITE_CONSTRAINT_UNIQUE || f.extended_code == SQLITE_CONSTRAINT_PRIMARYKEY)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` and applies the migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("invalid database URL {url}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let path = options.get_filename().to_owned();
        anyhow::ensure!(
            path != Path::new(":memory:") && !path.as_os_str().is_empty(),
            "{url}: the SQLite store needs a file (an in-memory database is one per connection)"
        );
        // The migrator creates the file and switches it to WAL (which the file remembers).
        migrate(&options).await?;
        restrict_to_owner(&path)?;
        let connection = open(&path).with_context(|| format!("opening {url}"))?;
        // Commits never checkpoint: the checkpointer does, on its own connection.
        connection.pragma_update(None, "wal_autocheckpoint", 0)?;
        // What an earlier process left in the WAL (it was stopped before closing the database,
        // or before its next checkpoint) goes into the database now: otherwise a server or app
        // that never lives for CHECKPOINT_EVERY commits would grow the WAL with every run.
        connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let checkpoints = open(&path).with_context(|| format!("opening {url}"))?;
        let (checkpoint, wake) = sync_channel(1);
        let inner = Arc::new(Inner {
            options,
            connection: Mutex::new(connection),
            commits: AtomicU64::new(0),
            checkpoint,
        });
        let store = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpointer(&checkpoints, &wake, &store))
            .context("starting the checkpoint thread")?;
        Ok(Self { inner })
    }

    /// Runs `f` in a write transaction (`BEGIN IMMEDIATE`: it takes the database's write lock at
    /// once, so another process sharing the file cannot make it fail half-way), committed if
    /// `f` succeeds and rolled back otherwise.
    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let out = in_transaction(&mut self.inner.lock(), TransactionBehavior::Immediate, f)?;
        if self.inner.commits.fetch_add(1, Ordering::Relaxed) % CHECKPOINT_EVERY
            == CHECKPOINT_EVERY - 1
        {
            // Full means a checkpoint is already due: nothing to add.
            let _ = self.inner.checkpoint.try_send(());
        }
        Ok(out)
    }

    /// Runs `f` in a read transaction: the statements of one operation see one snapshot.
    fn read<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        in_transaction(&mut self.inner.lock(), TransactionBehavior::Deferred, f)
    }
}

impl Inner {
    /// The connection, once no other operation uses it. (A panic inside a transaction rolled it
    /// back while unwinding: the connection is sound even if the lock is poisoned.)
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs `f` in a transaction of `behavior` on `conn`: committed if `f` succeeds, rolled back
/// otherwise.
fn in_transaction<T>(
    conn: &mut Connection,
    behavior: TransactionBehavior,
    f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let tx = conn.transaction_with_behavior(behavior)?;
    let out = f(&tx)?;
    tx.commit()?;
    Ok(out)
}

/// Copies the WAL into the database each time a writer asks, until the store is dropped.
///
/// The WAL can only start over once all of it is in the database, which a checkpoint running
/// beside busy writers never sees: the WAL would grow without end (measured: 760 MB in 7 s of
/// load). So each round copies what is there without stopping anyone, then holds the store's
/// lock only to copy the few frames committed meanwhile; the next commit starts the WAL over.
fn checkpointer(conn: &Connection, wake: &Receiver<()>, store: &Weak<Inner>) {
    let checkpoint = || conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    while wake.recv().is_ok() {
        let Some(inner) = store.upgrade() else { return };
        let done = checkpoint().and_then(|()| {
            let _store = inner.lock();
            checkpoint()
        });
        if let Err(e) = done {
            tracing::warn!(error = %e, "SQLite checkpoint failed; the next one will retry");
        }
    }
}

/// Applies the migrations that have not run yet (sqlx's migrator and its bookkeeping table).
async fn migrate(options: &SqliteConnectOptions) -> anyhow::Result<()> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await
        .context("opening the database")?;
    let applied = sqlx::migrate!("./migrations/sqlite")
        .run(&pool)
        .await
        .context("applying migrations");
    pool.close().await;
    applied
}

#[async_trait]
impl Store for SqliteStore {
    /// Applies the migrations that have not run yet.
    async fn migrate(&self) -> anyhow::Result<()> {
        migrate(&self.inner.options).await
    }

    /// Whether the database answers (for `/healthz`).
    async fn ping(&self) -> anyhow::Result<()> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .context("database ping")
    }

    // ---- clients ----

    /// Stores a new client with its token hash.
    async fn create_client(
        &self,
        id: &str,
        token_hash: &[u8],
        now: i64,
    ) -> Result<ClientRow, StoreError> {
        self.write(|tx| insert_client(tx, id, token_hash, now))?;
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
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {CLIENT_COLUMNS} FROM clients WHERE token_hash = ?"
            ))?
            .query_row([token_hash], client_row)
            .optional()?)
        })
    }

    /// The client with everything needed to render it.
    async fn client_state(&self, client_id: &str) -> Result<ClientState, StoreError> {
        self.read(|c| {
            let client = c
                .prepare_cached(&format!(
                    "SELECT {CLIENT_COLUMNS} FROM clients WHERE id = ?"
                ))?
                .query_row([client_id], client_row)?;
            let session_rows = c
                .prepare_cached(&format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions
                     WHERE client_id = ? AND status = 'active' ORDER BY created_at"
                ))?
                .query_map([client_id], session_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let mut sessions = Vec::with_capacity(session_rows.len());
            for session in session_rows {
                let user = load_user(c, &session.user_id)?.context("session without user")?;
                sessions.push((session, user));
            }
            let sign_up = match &client.sign_up_id {
                Some(id) => load_sign_up(c, id)?,
                None => None,
            };
            let sign_in = match &client.sign_in_id {
                Some(id) => load_sign_in(c, id)?,
                None => None,
            };
            Ok(ClientState {
                client,
                sessions,
                sign_up,
                sign_in,
            })
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
        self.write(|tx| {
            let taken = tx
                .prepare_cached("SELECT 1 FROM user_identifiers WHERE value = ?")?
                .exists([identifier.as_str()])?;
            if taken {
                return Err(StoreError::IdentifierExists);
            }
            if let Some(token_hash) = client.new_token_hash {
                insert_client(tx, client_id, token_hash, now)?;
            }
            tx.prepare_cached(
                "INSERT INTO sign_ups (id, client_id, kind, identifier, status, created_at, updated_at, abandon_at)
                 VALUES (?, ?, ?, ?, 'missing_requirements', ?, ?, ?)",
            )?
            .execute(params![
                id,
                client_id,
                identifier.kind().as_str(),
                identifier.as_str(),
                now,
                now,
                abandon_at
            ])?;
            tx.prepare_cached("UPDATE clients SET sign_up_id = ?, updated_at = ? WHERE id = ?")?
                .execute(params![id, now, client_id])?;
            Ok(())
        })
    }

    /// A sign-up by id.
    async fn sign_up(&self, id: &str) -> Result<Option<SignUpRow>, StoreError> {
        self.read(|c| load_sign_up(c, id))
    }

    /// The user owning a verified identifier.
    async fn user_by_identifier(
        &self,
        identifier: &Identifier,
    ) -> Result<Option<UserRow>, StoreError> {
        self.read(|c| {
            let user_id: Option<String> = c
                .prepare_cached("SELECT user_id FROM user_identifiers WHERE value = ?")?
                .query_row([identifier.as_str()], |r| r.get(0))
                .optional()?;
            match user_id {
                Some(id) => load_user(c, &id),
                None => Ok(None),
            }
        })
    }

    /// A user by id.
    async fn user(&self, id: &str) -> Result<Option<UserRow>, StoreError> {
        self.read(|c| load_user(c, id))
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
        self.write(|tx| {
            if let Some(token_hash) = client.new_token_hash {
                insert_client(tx, client_id, token_hash, now)?;
            }
            tx.prepare_cached(
                "INSERT INTO sign_ins (id, client_id, identifier, user_id, status, created_at, updated_at, abandon_at)
                 VALUES (?, ?, ?, ?, 'needs_first_factor', ?, ?, ?)",
            )?
            .execute(params![
                id,
                client_id,
                identifier.as_str(),
                user_id,
                now,
                now,
                abandon_at
            ])?;
            tx.prepare_cached("UPDATE clients SET sign_in_id = ?, updated_at = ? WHERE id = ?")?
                .execute(params![id, now, client_id])?;
            Ok(())
        })
    }

    /// A sign-in by id.
    async fn sign_in(&self, id: &str) -> Result<Option<SignInRow>, StoreError> {
        self.read(|c| load_sign_in(c, id))
    }

    // ---- codes ----

    /// Checks the lock and the send limits, then stores the code (replacing any earlier one)
    /// and records the send, all in one transaction.
    async fn prepare_code(&self, p: PrepareCode<'_>) -> Result<(), StoreError> {
        self.write(|tx| {
            let lockout = load_lockout(tx, p.identifier.as_str())?;
            if let Some(retry_after_secs) = lockout.remaining_secs(p.now) {
                return Err(StoreError::Locked { retry_after_secs });
            }
            for (scope, limits) in &p.limits {
                tx.prepare_cached("DELETE FROM send_events WHERE scope = ? AND at <= ?")?
                    .execute(params![scope, p.now - HOUR_MS])?;
                let earlier = tx
                    .prepare_cached("SELECT at FROM send_events WHERE scope = ?")?
                    .query_map([scope], |r| r.get(0))?
                    .collect::<Result<Vec<i64>, _>>()?;
                rate_limit::check_send(&earlier, p.now, *limits)
                    .map_err(|retry_after_secs| StoreError::TooManyRequests { retry_after_secs })?;
            }
            for (scope, _) in &p.limits {
                tx.prepare_cached("INSERT INTO send_events (scope, at) VALUES (?, ?)")?
                    .execute(params![scope, p.now])?;
            }
            tx.prepare_cached(
                "INSERT INTO codes (owner_id, strategy, identifier, identifier_id, mac, status, attempts, expire_at, created_at)
                 VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)
                 ON CONFLICT (owner_id) DO UPDATE SET strategy = excluded.strategy, identifier = excluded.identifier,
                   identifier_id = excluded.identifier_id, mac = excluded.mac, status = 'pending', attempts = 0,
                   expire_at = excluded.expire_at, created_at = excluded.created_at",
            )?
            .execute(params![
                p.owner_id,
                p.strategy.as_str(),
                p.identifier.as_str(),
                p.identifier_id,
                p.mac,
                p.expire_at,
                p.now
            ])?;
            if let Some(o) = &p.outbox {
                // The code of an earlier message for this attempt is void: do not send it any more.
                tx.prepare_cached(
                    "UPDATE outbox SET status = 'superseded', payload = NULL, finished_at = ?
                     WHERE owner_id = ? AND status IN ('pending', 'sending')",
                )?
                .execute(params![p.now, p.owner_id])?;
                tx.prepare_cached(
                    "INSERT INTO outbox (owner_id, channel, recipient, locale, payload, status, attempts, next_attempt_at,
                       deadline_at, created_at)
                     VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
                )?
                .execute(params![
                    p.owner_id,
                    channel_name(o.channel),
                    o.recipient,
                    o.locale,
                    o.payload,
                    p.now,
                    o.deadline_at,
                    p.now
                ])?;
            }
            if let Some(m) = p.dev_message {
                tx.prepare_cached(
                    "INSERT INTO dev_outbox (recipient, channel, code, body, sent_at) VALUES (?, ?, ?, ?, ?)",
                )?
                .execute(params![m.to, channel_name(m.channel), m.code, m.body, m.sent_at])?;
            }
            Ok(())
        })
    }

    /// Judges an attempt against the stored code and records the outcome: a wrong code counts
    /// against the code and the identifier; a right one marks the code used and creates what
    /// `completion` says, in the same transaction.
    async fn attempt_code(
        &self,
        a: AttemptCode<'_>,
        matches: &(dyn for<'m> Fn(&'m [u8]) -> bool + Send + Sync),
    ) -> Result<AttemptOutcome, StoreError> {
        self.write(|tx| {
            let lockout = load_lockout(tx, a.identifier.as_str())?;
            if let Some(retry_after_secs) = lockout.remaining_secs(a.now) {
                return Err(StoreError::Locked { retry_after_secs });
            }
            let (mac, status, attempts, expire_at): (Vec<u8>, String, u32, i64) = tx
                .prepare_cached(
                    "SELECT mac, status, attempts, expire_at FROM codes WHERE owner_id = ?",
                )?
                .query_row([a.owner_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?
                .ok_or(StoreError::NoCode)?;
            let stored = StoredCode {
                state: code_state(&status)?,
                attempts,
                expire_at,
            };
            let judgement = otp::judge(stored, a.now, a.max_attempts, || matches(&mac));
            match judgement {
                otp::Judgement::Correct => {
                    set_code(tx, a.owner_id, "verified", stored.attempts)?;
                    tx.prepare_cached("DELETE FROM identifier_failures WHERE identifier = ?")?
                        .execute([a.identifier.as_str()])?;
                    complete(tx, &a)?;
                }
                otp::Judgement::Incorrect { .. } | otp::Judgement::NowFailed => {
                    let status = if judgement == otp::Judgement::NowFailed {
                        "failed"
                    } else {
                        "pending"
                    };
                    set_code(tx, a.owner_id, status, stored.attempts + 1)?;
                    let next = lockout.after_failure(a.now, a.lockout_threshold, a.lockout_ms);
                    tx.prepare_cached(
                        "INSERT INTO identifier_failures (identifier, failures, locked_until) VALUES (?, ?, ?)
                         ON CONFLICT (identifier) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
                    )?
                    .execute(params![a.identifier.as_str(), next.failures, next.locked_until])?;
                }
                otp::Judgement::Expired if stored.state == CodeState::Pending => {
                    set_code(tx, a.owner_id, "expired", stored.attempts)?;
                }
                otp::Judgement::Expired
                | otp::Judgement::Failed
                | otp::Judgement::AlreadyVerified => {}
            }
            Ok(judgement)
        })
    }

    // ---- sessions ----

    /// A session of a client (any state).
    async fn session(
        &self,
        client_id: &str,
        session_id: &str,
    ) -> Result<Option<SessionRow>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ? AND client_id = ?"
            ))?
            .query_row([session_id, client_id], session_row)
            .optional()?)
        })
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
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE sessions SET last_active_at = ?, updated_at = ? WHERE id = ? AND client_id = ?",
            )?
            .execute(params![now, now, session_id, client_id])?;
            if make_last_active {
                tx.prepare_cached(
                    "UPDATE clients SET last_active_session_id = ?, updated_at = ? WHERE id = ?",
                )?
                .execute(params![session_id, now, client_id])?;
            }
            Ok(())
        })
    }

    /// Ends one session of a client, or all of them when `session_id` is `None`; the client's
    /// last active session moves to its newest remaining one.
    async fn end_sessions(
        &self,
        client_id: &str,
        session_id: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE sessions SET status = 'ended', updated_at = ?1
                 WHERE client_id = ?2 AND status = 'active' AND (?3 IS NULL OR id = ?3)",
            )?
            .execute(params![now, client_id, session_id])?;
            tx.prepare_cached(
                "UPDATE clients SET updated_at = ?1, last_active_session_id =
                   (SELECT id FROM sessions WHERE client_id = ?2 AND status = 'active' ORDER BY created_at DESC LIMIT 1)
                 WHERE id = ?2",
            )?
            .execute(params![now, client_id])?;
            Ok(())
        })
    }

    // ---- delivery outbox ----

    /// Claims the oldest message that is due (pending and due, or leased by a worker that did
    /// not finish), reserving it for `lease_ms`.
    async fn claim_outbox(&self, now: i64, lease_ms: i64) -> Result<Option<OutboxJob>, StoreError> {
        self.write(|tx| {
            Ok(tx
                .prepare_cached(
                    "UPDATE outbox SET status = 'sending', lease_until = ?1
                     WHERE id = (SELECT id FROM outbox
                                 WHERE (status = 'pending' AND next_attempt_at <= ?2)
                                    OR (status = 'sending' AND lease_until <= ?2)
                                 ORDER BY id LIMIT 1)
                     RETURNING id, owner_id, channel, recipient, locale, payload, attempts, deadline_at",
                )?
                .query_row(params![now + lease_ms, now], |r| {
                    Ok(OutboxJob {
                        id: r.get("id")?,
                        owner_id: r.get("owner_id")?,
                        channel: channel_of(&r.get::<_, String>("channel")?),
                        recipient: r.get("recipient")?,
                        locale: r.get("locale")?,
                        payload: r.get("payload")?,
                        attempts: r.get("attempts")?,
                        deadline_at: r.get("deadline_at")?,
                    })
                })
                .optional()?)
        })
    }

    /// Schedules another try of a claimed message.
    async fn outbox_retry(
        &self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE outbox SET status = 'pending', attempts = attempts + 1, next_attempt_at = ?,
                   lease_until = NULL, last_error = ?
                 WHERE id = ? AND status = 'sending'",
            )?
            .execute(params![next_attempt_at, error, id])?;
            Ok(())
        })
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
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, provider_id = ?,
                   last_error = COALESCE(?, last_error), payload = NULL, lease_until = NULL, finished_at = ?
                 WHERE id = ?",
            )?
            .execute(params![status, provider_id, error, now, id])?;
            Ok(())
        })
    }

    // ---- dev outbox ----

    /// The latest dev-mode message to `to`.
    async fn dev_outbox_latest(
        &self,
        to: &str,
    ) -> Result<Option<otp_proto::dev::OutboxMessage>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT recipient, channel, code, body, sent_at FROM dev_outbox
                 WHERE recipient = ? ORDER BY id DESC LIMIT 1",
            )?
            .query_row([to], |r| {
                Ok(otp_proto::dev::OutboxMessage {
                    to: r.get("recipient")?,
                    channel: channel_of(&r.get::<_, String>("channel")?),
                    code: r.get("code")?,
                    body: r.get("body")?,
                    sent_at: r.get("sent_at")?,
                })
            })
            .optional()?)
        })
    }

    // ---- keys ----

    async fn hmac_key(&self, candidate: &[u8; 32], now: i64) -> Result<[u8; 32], StoreError> {
        let stored: Vec<u8> = self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO server_keys (name, secret, created_at) VALUES ('hmac', ?, ?)
                 ON CONFLICT (name) DO NOTHING",
            )?
            .execute(params![candidate.as_slice(), now])?;
            Ok(tx
                .prepare_cached("SELECT secret FROM server_keys WHERE name = 'hmac'")?
                .query_row([], |r| r.get(0))?)
        })?;
        stored.try_into().map_err(|_| {
            StoreError::Unexpected(anyhow::anyhow!("the stored HMAC key is not 32 bytes"))
        })
    }

    async fn jwt_keys(&self) -> Result<Vec<JwtKeyRow>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT generation, pem, created_at FROM jwt_keys ORDER BY generation",
            )?
            .query_map([], |r| {
                Ok(JwtKeyRow {
                    generation: r.get("generation")?,
                    pem: r.get("pem")?,
                    created_at: r.get("created_at")?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?)
        })
    }

    async fn add_jwt_key(&self, generation: i64, pem: &str, now: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO jwt_keys (generation, pem, created_at) VALUES (?, ?, ?)
                 ON CONFLICT (generation) DO NOTHING",
            )?
            .execute(params![generation, pem, now])?;
            Ok(())
        })
    }
}

fn insert_client(
    tx: &Transaction<'_>,
    id: &str,
    token_hash: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO clients (id, token_hash, created_at, updated_at) VALUES (?, ?, ?, ?)",
    )?
    .execute(params![id, token_hash, now, now])?;
    Ok(())
}

/// Creates the user (sign-up), the session, and moves the client to its new token.
fn complete(tx: &Transaction<'_>, a: &AttemptCode<'_>) -> Result<(), StoreError> {
    let c = &a.completion;
    let now = a.now;
    let user_id = match &c.kind {
        CompletionKind::SignUp {
            user_id,
            identifier_id,
        } => {
            tx.prepare_cached(
                "INSERT INTO users (id, last_sign_in_at, created_at, updated_at) VALUES (?, ?, ?, ?)",
            )?
            .execute(params![user_id, now, now, now])?;
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO user_identifiers (id, user_id, kind, value, verified_strategy, created_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                )?
                .execute(params![
                    identifier_id,
                    user_id,
                    a.identifier.kind().as_str(),
                    a.identifier.as_str(),
                    a.identifier.kind().strategy().as_str(),
                    now,
                    now
                ]);
            match inserted {
                Err(e) if is_unique_violation(&e) => return Err(StoreError::IdentifierExists),
                other => other?,
            };
            tx.prepare_cached(
                "UPDATE sign_ups SET status = 'complete', created_user_id = ?, created_session_id = ?,
                   updated_at = ?
                 WHERE id = ?",
            )?
            .execute(params![user_id, c.session_id, now, a.owner_id])?;
            user_id
        }
        CompletionKind::SignIn { user_id } => {
            tx.prepare_cached("UPDATE users SET last_sign_in_at = ?, updated_at = ? WHERE id = ?")?
                .execute(params![now, now, user_id])?;
            tx.prepare_cached(
                "UPDATE sign_ins SET status = 'complete', created_session_id = ?, updated_at = ?
                 WHERE id = ?",
            )?
            .execute(params![c.session_id, now, a.owner_id])?;
            user_id
        }
    };
    tx.prepare_cached(
        "INSERT INTO sessions (id, client_id, user_id, status, last_active_at, abandon_at, created_at, updated_at)
         VALUES (?, ?, ?, 'active', ?, ?, ?, ?)",
    )?
    .execute(params![
        c.session_id,
        c.client_id,
        user_id,
        now,
        c.session_abandon_at,
        now,
        now
    ])?;
    tx.prepare_cached(
        "UPDATE clients SET last_active_session_id = ?, token_hash = ?, updated_at = ? WHERE id = ?",
    )?
    .execute(params![c.session_id, c.new_token_hash, now, c.client_id])?;
    Ok(())
}

fn set_code(
    tx: &Transaction<'_>,
    owner_id: &str,
    status: &str,
    attempts: u32,
) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE codes SET status = ?, attempts = ? WHERE owner_id = ?")?
        .execute(params![status, attempts, owner_id])?;
    Ok(())
}

fn load_lockout(c: &Connection, identifier: &str) -> Result<Lockout, StoreError> {
    Ok(c.prepare_cached(
        "SELECT failures, locked_until FROM identifier_failures WHERE identifier = ?",
    )?
    .query_row([identifier], |r| {
        Ok(Lockout {
            failures: r.get("failures")?,
            locked_until: r.get("locked_until")?,
        })
    })
    .optional()?
    .unwrap_or_default())
}

/// The columns of an owner's current code (joined as `k`) and its latest delivery status, for
/// the queries that load a sign-up or sign-in with its code in one statement.
const CODE_COLUMNS: &str = "k.strategy AS code_strategy, k.identifier AS code_identifier,
    k.status AS code_status, k.attempts AS code_attempts, k.expire_at AS code_expire_at,
    (SELECT status FROM outbox WHERE outbox.owner_id = k.owner_id ORDER BY id DESC LIMIT 1) AS delivery";

/// The code of a row selected with [`CODE_COLUMNS`], if the owner has one.
fn code_of(r: &Row<'_>) -> Result<Option<CodeRow>, StoreError> {
    let Some(strategy) = r.get::<_, Option<String>>("code_strategy")? else {
        return Ok(None);
    };
    let delivery: Option<String> = r.get("delivery")?;
    Ok(Some(CodeRow {
        strategy: Strategy::parse(&strategy)
            .with_context(|| format!("stored strategy {strategy}"))?,
        sent_to: r.get("code_identifier")?,
        attempts: r.get("code_attempts")?,
        state: code_state(&r.get::<_, String>("code_status")?)?,
        expire_at: r.get("code_expire_at")?,
        delivery: delivery.as_deref().map(delivery_status),
    }))
}

fn load_sign_up(c: &Connection, id: &str) -> Result<Option<SignUpRow>, StoreError> {
    let mut statement = c.prepare_cached(&format!(
        "SELECT s.id, s.client_id, s.kind, s.identifier, s.status, s.created_user_id,
           s.created_session_id, s.abandon_at, {CODE_COLUMNS}
         FROM sign_ups s LEFT JOIN codes k ON k.owner_id = s.id WHERE s.id = ?"
    ))?;
    let mut rows = statement.query([id])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    let kind: String = r.get("kind")?;
    let status: String = r.get("status")?;
    Ok(Some(SignUpRow {
        id: r.get("id")?,
        client_id: r.get("client_id")?,
        identifier: Identifier::from_stored(&kind, r.get("identifier")?),
        status: if status == "complete" {
            SignUpStatus::Complete
        } else {
            SignUpStatus::MissingRequirements
        },
        created_user_id: r.get("created_user_id")?,
        created_session_id: r.get("created_session_id")?,
        abandon_at: r.get("abandon_at")?,
        code: code_of(r)?,
    }))
}

fn load_sign_in(c: &Connection, id: &str) -> Result<Option<SignInRow>, StoreError> {
    let mut statement = c.prepare_cached(&format!(
        "SELECT s.id, s.client_id, s.identifier, s.user_id, s.status, s.created_session_id,
           s.abandon_at, {CODE_COLUMNS}
         FROM sign_ins s LEFT JOIN codes k ON k.owner_id = s.id WHERE s.id = ?"
    ))?;
    let mut rows = statement.query([id])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    let identifier: String = r.get("identifier")?;
    let kind = if identifier.contains('@') {
        "email"
    } else {
        "phone"
    };
    let status: String = r.get("status")?;
    let user_id: String = r.get("user_id")?;
    let row = SignInRow {
        factors: Vec::new(),
        id: r.get("id")?,
        client_id: r.get("client_id")?,
        identifier: Identifier::from_stored(kind, identifier),
        user_id,
        status: if status == "complete" {
            SignInStatus::Complete
        } else {
            SignInStatus::NeedsFirstFactor
        },
        created_session_id: r.get("created_session_id")?,
        abandon_at: r.get("abandon_at")?,
        code: code_of(r)?,
    };
    let factors = load_user(c, &row.user_id)?
        .map(|u| u.identifiers)
        .unwrap_or_default();
    Ok(Some(SignInRow { factors, ..row }))
}

fn load_user(c: &Connection, id: &str) -> Result<Option<UserRow>, StoreError> {
    // The user and its identifiers in one statement: one row per identifier (a user has one).
    let mut statement = c.prepare_cached(
        "SELECT u.id, u.last_sign_in_at, u.created_at, u.updated_at,
           i.id AS identifier_id, i.kind, i.value, i.created_at AS identifier_created_at,
           f.locked_until
         FROM users u
           LEFT JOIN user_identifiers i ON i.user_id = u.id
           LEFT JOIN identifier_failures f ON f.identifier = i.value
         WHERE u.id = ? ORDER BY i.created_at, i.id",
    )?;
    let mut rows = statement.query([id])?;
    let mut user: Option<UserRow> = None;
    while let Some(r) = rows.next()? {
        let user = match &mut user {
            Some(user) => user,
            None => user.insert(UserRow {
                id: r.get("id")?,
                last_sign_in_at: r.get("last_sign_in_at")?,
                created_at: r.get("created_at")?,
                updated_at: r.get("updated_at")?,
                identifiers: Vec::with_capacity(1),
                locked_until: None,
            }),
        };
        let Some(identifier_id) = r.get::<_, Option<String>>("identifier_id")? else {
            continue;
        };
        let kind: String = r.get("kind")?;
        user.identifiers.push(IdentifierRow {
            id: identifier_id,
            kind: if kind == "email" {
                IdentifierKind::Email
            } else {
                IdentifierKind::Phone
            },
            value: r.get("value")?,
            created_at: r.get("identifier_created_at")?,
        });
        user.locked_until = user.locked_until.max(r.get("locked_until")?);
    }
    Ok(user)
}

/// The columns [`client_row`] reads.
const CLIENT_COLUMNS: &str =
    "id, sign_up_id, sign_in_id, last_active_session_id, created_at, updated_at";

fn client_row(r: &Row<'_>) -> rusqlite::Result<ClientRow> {
    Ok(ClientRow {
        id: r.get("id")?,
        sign_up_id: r.get("sign_up_id")?,
        sign_in_id: r.get("sign_in_id")?,
        last_active_session_id: r.get("last_active_session_id")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
    })
}

/// The columns [`session_row`] reads.
const SESSION_COLUMNS: &str =
    "id, client_id, user_id, status, last_active_at, abandon_at, created_at, updated_at";

fn session_row(r: &Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        id: r.get("id")?,
        client_id: r.get("client_id")?,
        user_id: r.get("user_id")?,
        status: session_status(&r.get::<_, String>("status")?),
        last_active_at: r.get("last_active_at")?,
        abandon_at: r.get("abandon_at")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A process stopped without closing the database leaves its last commits in the WAL; the
    /// next start folds them into the database and empties the WAL, and nothing is lost.
    #[tokio::test]
    async fn the_next_start_folds_in_the_wal_an_unclean_stop_left() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}", dir.path().join("otp.db").display());
        let wal = dir.path().join("otp.db-wal");
        let store = SqliteStore::connect(&url).await.expect("store");
        for i in 0..10u8 {
            store
                .create_client(&format!("client_{i}"), &[i; 32], 0)
                .await
                .expect("write");
        }
        // As if the process were killed: the connection is never closed.
        std::mem::forget(store);
        assert!(std::fs::metadata(&wal).expect("wal").len() > 0);
        let store = SqliteStore::connect(&url).await.expect("store");
        assert_eq!(std::fs::metadata(&wal).expect("wal").len(), 0);
        for i in 0..10u8 {
            let client = store.client_by_token(&[i; 32]).await.expect("read");
            assert_eq!(client.map(|c| c.id), Some(format!("client_{i}")));
        }
    }

    /// Under writers that never pause, the WAL still starts over: it stays the size of a few
    /// hundred commits instead of growing with every commit until the disk is full.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_wal_stays_small_under_sustained_writes() {
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("otp.db");
        let store = SqliteStore::connect(&format!("sqlite://{}", db.display()))
            .await
            .expect("store");
        let writers: Vec<_> = (0..4u32)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    for i in 0..10_000u32 {
                        let hash = [w.to_le_bytes(), i.to_le_bytes()].concat();
                        store
                            .create_client(&format!("client_{w}_{i}"), &hash, 0)
                            .await
                            .expect("write");
                    }
                })
            })
            .collect();
        for w in writers {
            w.await.expect("writer");
        }
        // 40,000 commits of three pages each (the row and two indexes) would be ~490 MB of WAL;
        // restarting, it stays near 30 MB here (the commits made while a checkpoint runs).
        let wal = std::fs::metadata(dir.path().join("otp.db-wal"))
            .expect("wal")
            .len();
        assert!(wal < 128 << 20, "the WAL grew to {} MB", wal >> 20);
    }
}
