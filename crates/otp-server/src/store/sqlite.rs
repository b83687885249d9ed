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

use super::rows::*;
use super::tx::{Access, Tx};
use crate::domain::Identifier;
use crate::domain::IdentifierKind;
use crate::otp::{CodeState, StoredCode};
use crate::rate_limit::Lockout;
use anyhow::Context;
use rusqlite::params;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

/// The SQLite-backed store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
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
const STATEMENT_CACHE: usize = 160;

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

impl SqliteStore {
    /// Runs `f` in a transaction on the store's connection, committed if `f` succeeds and
    /// rolled back otherwise. A writer begins with `BEGIN IMMEDIATE`: it takes the database's
    /// write lock at once, so another process sharing the file cannot make it fail half-way;
    /// in this process the connection's lock already lets one operation run at a time, which
    /// is how SQLite serializes the flows (see [`Tx::serialize_on`]).
    pub(super) fn transaction<T>(
        &self,
        access: Access,
        f: impl FnOnce(&mut SqliteTx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let out = {
            let conn = self.inner.lock();
            let open = Open::begin(&conn, access)?;
            let out = f(&mut SqliteTx(&conn))?;
            open.commit()?;
            out
        };
        if access == Access::Write
            && self.inner.commits.fetch_add(1, Ordering::Relaxed) % CHECKPOINT_EVERY
                == CHECKPOINT_EVERY - 1
        {
            // Full means a checkpoint is already due: nothing to add.
            let _ = self.inner.checkpoint.try_send(());
        }
        Ok(out)
    }

    /// Whether the database answers (for `/healthz`).
    pub(super) fn ping(&self) -> anyhow::Result<()> {
        self.transaction(Access::Read, |tx| {
            Ok(tx.0.query_row("SELECT 1", [], |_| Ok(()))?)
        })
        .context("database ping")
    }
}

/// Runs a flow to its end on this thread. SQLite's primitives never wait (they are calls into
/// the library), so a flow over them ends at its first poll; one that did not would be a bug.
pub(super) fn run_ready<T>(
    flow: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    match std::pin::pin!(flow).poll(&mut TaskContext::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => Err(anyhow::anyhow!("a SQLite flow waited").into()),
    }
}

/// An open transaction, rolled back when dropped before [`Open::commit`] (an error, or a panic
/// unwinding). `BEGIN` and `COMMIT` are cached statements like the rest: rusqlite's
/// `Transaction` parses them again each time, which cost 5 % of the server's instructions per
/// flow (callgrind).
struct Open<'c> {
    conn: &'c Connection,
    committed: bool,
}

impl<'c> Open<'c> {
    /// A writer begins with `BEGIN IMMEDIATE` (see [`SqliteStore::transaction`]).
    fn begin(conn: &'c Connection, access: Access) -> Result<Self, StoreError> {
        let begin = match access {
            Access::Read => "BEGIN DEFERRED",
            Access::Write => "BEGIN IMMEDIATE",
        };
        conn.prepare_cached(begin)?.execute([])?;
        Ok(Self {
            conn,
            committed: false,
        })
    }

    fn commit(mut self) -> Result<(), StoreError> {
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        if !self.committed && !self.conn.is_autocommit() {
            let rolled_back = self
                .conn
                .prepare_cached("ROLLBACK")
                .and_then(|mut s| s.execute([]));
            if let Err(e) = rolled_back {
                tracing::error!(error = %e, "SQLite rollback failed");
            }
        }
    }
}

/// One transaction on the store's connection (opened by [`SqliteStore::transaction`]).
pub(super) struct SqliteTx<'c>(&'c Connection);

impl SqliteTx<'_> {
    /// Runs a cached statement that changes rows.
    fn execute(&self, sql: &str, params: impl rusqlite::Params) -> Result<(), StoreError> {
        self.0.prepare_cached(sql)?.execute(params)?;
        Ok(())
    }

    /// Runs a cached statement that removes rows; returns how many.
    fn deleted(&self, sql: &str, params: impl rusqlite::Params) -> Result<u64, StoreError> {
        Ok(self.0.prepare_cached(sql)?.execute(params)? as u64)
    }

    /// Runs a cached `DELETE … RETURNING id`; returns the ids.
    fn deleted_ids(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<String>, StoreError> {
        Ok(self
            .0
            .prepare_cached(sql)?
            .query_map(params, |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?)
    }
}

impl Tx for SqliteTx<'_> {
    /// SQLite has one writer at a time: a write transaction already excludes every other.
    async fn serialize_on(&mut self, _keys: &[String]) -> Result<(), StoreError> {
        Ok(())
    }

    // ---- clients ----

    async fn insert_client(
        &mut self,
        id: &str,
        token_hash: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO clients (id, token_hash, created_at, updated_at) VALUES (?, ?, ?, ?)",
            params![id, token_hash, now, now],
        )
    }

    async fn client(&mut self, id: &str) -> Result<Option<ClientRow>, StoreError> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {CLIENT_COLUMNS} FROM clients WHERE id = ?"
            ))?
            .query_row([id], client_row)
            .optional()?)
    }

    async fn client_by_token(
        &mut self,
        token_hash: &[u8],
    ) -> Result<Option<ClientRow>, StoreError> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {CLIENT_COLUMNS} FROM clients WHERE token_hash = ?"
            ))?
            .query_row([token_hash], client_row)
            .optional()?)
    }

    async fn set_client_sign_up(
        &mut self,
        client_id: &str,
        sign_up_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE clients SET sign_up_id = ?, updated_at = ? WHERE id = ?",
            params![sign_up_id, now, client_id],
        )
    }

    async fn set_client_sign_in(
        &mut self,
        client_id: &str,
        sign_in_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE clients SET sign_in_id = ?, updated_at = ? WHERE id = ?",
            params![sign_in_id, now, client_id],
        )
    }

    async fn set_client_session(
        &mut self,
        client_id: &str,
        session_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE clients SET last_active_session_id = ?, updated_at = ? WHERE id = ?",
            params![session_id, now, client_id],
        )
    }

    async fn choose_newest_session(&mut self, client_id: &str, now: i64) -> Result<(), StoreError> {
        self.execute(
            "UPDATE clients SET updated_at = ?1, last_active_session_id =
               (SELECT id FROM sessions WHERE client_id = ?2 AND status = 'active'
                ORDER BY created_at DESC LIMIT 1)
             WHERE id = ?2",
            params![now, client_id],
        )
    }

    async fn rotate_client(
        &mut self,
        client_id: &str,
        session_id: &str,
        token_hash: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE clients SET last_active_session_id = ?, token_hash = ?, updated_at = ? WHERE id = ?",
            params![session_id, token_hash, now, client_id],
        )
    }

    // ---- users ----

    async fn user_id_by_identifier(
        &mut self,
        key: &str,
        legacy_value: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT user_id FROM (
                   SELECT user_id, 0 AS rank FROM user_identifiers WHERE value = ?2 AND legacy_exact
                   UNION ALL
                   SELECT user_id, 1 FROM user_identifiers WHERE canonical = ?1 AND NOT legacy_exact
                 ) ORDER BY rank LIMIT 1",
            )?
            .query_row([key, legacy_value], |r| r.get(0))
            .optional()?)
    }

    async fn user(&mut self, id: &str) -> Result<Option<UserRow>, StoreError> {
        // The user and its identifiers in one statement: one row per identifier, the verified
        // ones first (the lock of an unverified one is not the user's).
        let mut statement = self.0.prepare_cached(
            "SELECT u.id, u.last_sign_in_at, u.created_at, u.updated_at,
               u.primary_email_id, u.primary_phone_id, u.banned_at,
               i.id AS identifier_id, i.kind, i.value, i.created_at AS identifier_created_at,
               i.verified, f.locked_until
             FROM users u
               LEFT JOIN (
                 SELECT id, user_id, kind, value, canonical, created_at, 1 AS verified
                   FROM user_identifiers WHERE user_id = ?1
                 UNION ALL
                 SELECT id, user_id, kind, value, canonical, created_at, 0
                   FROM unverified_identifiers WHERE user_id = ?1
               ) i ON i.user_id = u.id
               LEFT JOIN identifier_failures f ON f.identifier = i.canonical AND i.verified
             WHERE u.id = ?1 ORDER BY i.verified DESC, i.created_at, i.id",
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
                    primary_email_id: r.get("primary_email_id")?,
                    primary_phone_id: r.get("primary_phone_id")?,
                    locked_until: None,
                    banned_at: r.get("banned_at")?,
                }),
            };
            let Some(identifier_id) = r.get::<_, Option<String>>("identifier_id")? else {
                continue;
            };
            user.identifiers.push(IdentifierRow {
                id: identifier_id,
                kind: identifier_kind(&r.get::<_, String>("kind")?),
                value: r.get("value")?,
                created_at: r.get("identifier_created_at")?,
                verified: r.get("verified")?,
            });
            user.locked_until = user.locked_until.max(r.get("locked_until")?);
        }
        Ok(user)
    }

    async fn insert_user(&mut self, id: &str, now: i64, signed_in: bool) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO users (id, last_sign_in_at, created_at, updated_at) VALUES (?, ?, ?, ?)",
            params![id, signed_in.then_some(now), now, now],
        )
    }

    async fn insert_identifier(
        &mut self,
        id: &str,
        user_id: &str,
        identifier: &Identifier,
        now: i64,
    ) -> Result<(), StoreError> {
        let kind: IdentifierKind = identifier.kind();
        let inserted = self
            .0
            .prepare_cached(
                "INSERT INTO user_identifiers
                   (id, user_id, kind, value, canonical, verified_strategy, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                id,
                user_id,
                kind.as_str(),
                identifier.as_str(),
                identifier.key(),
                kind.strategy().as_str(),
                now,
                now
            ])?;
        if inserted == 0 {
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
        let inserted = self
            .0
            .prepare_cached(
                "INSERT INTO unverified_identifiers (id, user_id, kind, value, canonical, created_at)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                id,
                user_id,
                identifier.kind().as_str(),
                identifier.as_str(),
                identifier.key(),
                now
            ])?;
        if inserted == 0 {
            return Err(StoreError::IdentifierExists);
        }
        Ok(())
    }

    async fn delete_identifier(&mut self, id: &str) -> Result<(), StoreError> {
        for sql in [
            "DELETE FROM codes WHERE owner_id = ?1",
            "DELETE FROM outbox WHERE owner_id = ?1 AND status IN ('pending', 'sending')",
            "DELETE FROM unverified_identifiers WHERE id = ?1",
            "DELETE FROM user_identifiers WHERE id = ?1",
        ] {
            self.execute(sql, [id])?;
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
            "UPDATE users SET primary_email_id = COALESCE(?1, primary_email_id),
                 primary_phone_id = COALESCE(?2, primary_phone_id), updated_at = ?3
             WHERE id = ?4",
            params![email_id, phone_id, now, user_id],
        )
    }

    async fn unkeyed_identifiers(&mut self) -> Result<Vec<(String, String, String)>, StoreError> {
        let mut statement = self.0.prepare_cached(
            "SELECT id, kind, value FROM user_identifiers
             WHERE canonical IS NULL ORDER BY created_at, id",
        )?;
        let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn identifier_key_taken(&mut self, key: &str) -> Result<bool, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM user_identifiers WHERE canonical = ? AND NOT legacy_exact)",
            )?
            .query_row([key], |r| r.get(0))?)
    }

    async fn set_identifier_key(
        &mut self,
        id: &str,
        key: &str,
        legacy_exact: bool,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE user_identifiers SET canonical = ?, legacy_exact = ? WHERE id = ?",
            params![key, legacy_exact, id],
        )
    }

    async fn set_user_signed_in(&mut self, user_id: &str, now: i64) -> Result<bool, StoreError> {
        let changed = self.deleted(
            "UPDATE users SET last_sign_in_at = ?1, updated_at = ?1
             WHERE id = ?2 AND banned_at IS NULL",
            params![now, user_id],
        )?;
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
            "INSERT INTO sign_ups (id, client_id, kind, identifier, status, created_at, updated_at, abandon_at)
             VALUES (?, ?, ?, ?, 'missing_requirements', ?, ?, ?)",
            params![
                id,
                client_id,
                identifier.kind().as_str(),
                identifier.as_str(),
                now,
                now,
                abandon_at
            ],
        )
    }

    async fn sign_up(&mut self, id: &str) -> Result<Option<SignUpRow>, StoreError> {
        let mut statement = self.0.prepare_cached(&format!(
            "SELECT s.id, s.client_id, s.kind, s.identifier, s.status, s.created_user_id,
               s.created_session_id, s.abandon_at, {CODE_COLUMNS}
             FROM sign_ups s LEFT JOIN codes k ON k.owner_id = s.id WHERE s.id = ?"
        ))?;
        let mut rows = statement.query([id])?;
        let Some(r) = rows.next()? else {
            return Ok(None);
        };
        Ok(Some(SignUpRow {
            id: r.get("id")?,
            client_id: r.get("client_id")?,
            identifier: Identifier::from_stored(&r.get::<_, String>("kind")?, r.get("identifier")?),
            status: sign_up_status(&r.get::<_, String>("status")?),
            created_user_id: r.get("created_user_id")?,
            created_session_id: r.get("created_session_id")?,
            abandon_at: r.get("abandon_at")?,
            code: code_of(r)?,
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
            "UPDATE sign_ups SET status = 'complete', created_user_id = ?, created_session_id = ?,
               updated_at = ?
             WHERE id = ?",
            params![user_id, session_id, now, id],
        )
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
            "INSERT INTO sign_ins (id, client_id, identifier, user_id, status, created_at, updated_at, abandon_at)
             VALUES (?, ?, ?, ?, 'needs_first_factor', ?, ?, ?)",
            params![id, client_id, identifier.as_str(), user_id, now, now, abandon_at],
        )
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
            "INSERT INTO sign_ins (id, client_id, identifier, decoy_factor_id, status, created_at, updated_at, abandon_at)
             VALUES (?, ?, ?, ?, 'needs_first_factor', ?, ?, ?)",
            params![id, client_id, identifier.as_str(), factor_id, now, now, abandon_at],
        )
    }

    async fn sign_in(&mut self, id: &str) -> Result<Option<SignInRow>, StoreError> {
        let mut statement = self.0.prepare_cached(&format!(
            "SELECT s.id, s.client_id, s.identifier, s.user_id, s.decoy_factor_id, s.status,
               s.created_session_id, s.abandon_at, {CODE_COLUMNS}
             FROM sign_ins s LEFT JOIN codes k ON k.owner_id = s.id WHERE s.id = ?"
        ))?;
        let mut rows = statement.query([id])?;
        let Some(r) = rows.next()? else {
            return Ok(None);
        };
        Ok(Some(SignInRow {
            id: r.get("id")?,
            client_id: r.get("client_id")?,
            identifier: sign_in_identifier(r.get("identifier")?),
            user_id: r.get("user_id")?,
            decoy_factor_id: r.get("decoy_factor_id")?,
            status: sign_in_status(&r.get::<_, String>("status")?),
            created_session_id: r.get("created_session_id")?,
            abandon_at: r.get("abandon_at")?,
            code: code_of(r)?,
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
            "UPDATE sign_ins SET status = 'complete', created_session_id = ?, updated_at = ?
             WHERE id = ?",
            params![session_id, now, id],
        )
    }

    // ---- codes, limits, lock-outs ----

    async fn upsert_code(&mut self, p: &PrepareCode<'_>) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO codes (owner_id, strategy, identifier, identifier_id, mac, status, attempts, expire_at, created_at)
             VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)
             ON CONFLICT (owner_id) DO UPDATE SET strategy = excluded.strategy, identifier = excluded.identifier,
               identifier_id = excluded.identifier_id, mac = excluded.mac, status = 'pending', attempts = 0,
               expire_at = excluded.expire_at, created_at = excluded.created_at",
            params![
                p.owner_id,
                p.strategy.as_str(),
                p.identifier.as_str(),
                p.identifier_id,
                p.mac,
                p.expire_at,
                p.now
            ],
        )
    }

    async fn code(&mut self, owner_id: &str) -> Result<Option<(Vec<u8>, StoredCode)>, StoreError> {
        let row: Option<(Vec<u8>, String, u32, i64)> = self
            .0
            .prepare_cached(
                "SELECT mac, status, attempts, expire_at FROM codes WHERE owner_id = ?",
            )?
            .query_row([owner_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        row.map(|(mac, status, attempts, expire_at)| {
            let state = code_state(&status)?;
            Ok((
                mac,
                StoredCode {
                    state,
                    attempts,
                    expire_at,
                },
            ))
        })
        .transpose()
    }

    async fn code_row(&mut self, owner_id: &str) -> Result<Option<CodeRow>, StoreError> {
        let mut statement = self.0.prepare_cached(&format!(
            "SELECT {CODE_COLUMNS} FROM codes k WHERE k.owner_id = ?"
        ))?;
        let mut rows = statement.query([owner_id])?;
        match rows.next()? {
            Some(r) => code_of(r),
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
            "UPDATE codes SET status = ?, attempts = ? WHERE owner_id = ?",
            params![code_status_name(state), attempts, owner_id],
        )
    }

    async fn prune_sends(&mut self, scope: &str, before: i64) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM send_events WHERE scope = ? AND at <= ?",
            params![scope, before],
        )
    }

    async fn send_times(&mut self, scope: &str) -> Result<Vec<i64>, StoreError> {
        Ok(self
            .0
            .prepare_cached("SELECT at FROM send_events WHERE scope = ?")?
            .query_map([scope], |r| r.get(0))?
            .collect::<Result<Vec<i64>, _>>()?)
    }

    async fn insert_send(&mut self, scope: &str, at: i64) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO send_events (scope, at) VALUES (?, ?)",
            params![scope, at],
        )
    }

    async fn lockout(&mut self, identifier: &str) -> Result<Lockout, StoreError> {
        Ok(self
            .0
            .prepare_cached(
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

    async fn set_lockout(
        &mut self,
        identifier: &str,
        lockout: Lockout,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO identifier_failures (identifier, failures, locked_until, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (identifier) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until,
               updated_at = excluded.updated_at",
            params![identifier, lockout.failures, lockout.locked_until, now],
        )
    }

    async fn clear_lockout(&mut self, identifier: &str) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM identifier_failures WHERE identifier = ?",
            [identifier],
        )
    }

    async fn sms_blocked_until(&mut self, prefix: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .0
            .prepare_cached("SELECT MAX(blocked_until) FROM sms_fraud_blocks WHERE prefix = ?")?
            .query_row([prefix], |r| r.get(0))?)
    }

    async fn insert_fraud_block(&mut self, b: &FraudBlock) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO sms_fraud_blocks (prefix, blocked_at, blocked_until, sends, verified)
             VALUES (?, ?, ?, ?, ?)",
            params![b.prefix, b.blocked_at, b.blocked_until, b.sends, b.verified],
        )
    }

    async fn fraud_blocks(&mut self, since: i64) -> Result<Vec<FraudBlock>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT prefix, blocked_at, blocked_until, sends, verified FROM sms_fraud_blocks
                 WHERE blocked_at >= ? ORDER BY blocked_at, id",
            )?
            .query_map([since], |r| {
                Ok(FraudBlock {
                    prefix: r.get("prefix")?,
                    blocked_at: r.get("blocked_at")?,
                    blocked_until: r.get("blocked_until")?,
                    sends: r.get("sends")?,
                    verified: r.get("verified")?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?)
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
            "INSERT INTO sessions (id, client_id, user_id, status, last_active_at, abandon_at, created_at, updated_at)
             VALUES (?, ?, ?, 'active', ?, ?, ?, ?)",
            params![id, client_id, user_id, now, abandon_at, now, now],
        )
    }

    async fn session(
        &mut self,
        client_id: &str,
        session_id: &str,
    ) -> Result<Option<SessionRow>, StoreError> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ? AND client_id = ?"
            ))?
            .query_row([session_id, client_id], session_row)
            .optional()?)
    }

    async fn active_sessions(&mut self, client_id: &str) -> Result<Vec<SessionRow>, StoreError> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions
                 WHERE client_id = ? AND status = 'active' ORDER BY created_at"
            ))?
            .query_map([client_id], session_row)?
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn touch_session(
        &mut self,
        client_id: &str,
        session_id: &str,
        now: i64,
        activity: &Activity,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE sessions SET last_active_at = ?1, updated_at = ?1,
                 activity_ip = COALESCE(?2, activity_ip),
                 activity_agent = COALESCE(?3, activity_agent)
             WHERE id = ?4 AND client_id = ?5",
            params![now, activity.ip, activity.user_agent, session_id, client_id],
        )
    }

    async fn delete_user(&mut self, user_id: &str) -> Result<(), StoreError> {
        for sql in [
            "UPDATE clients SET sign_in_id = NULL WHERE sign_in_id IN (SELECT id FROM sign_ins WHERE user_id = ?1)",
            "UPDATE clients SET sign_up_id = NULL WHERE sign_up_id IN (SELECT id FROM sign_ups WHERE created_user_id = ?1)",
            "DELETE FROM codes WHERE owner_id IN (SELECT id FROM sign_ins WHERE user_id = ?1) OR owner_id IN (SELECT id FROM sign_ups WHERE created_user_id = ?1) OR owner_id IN (SELECT id FROM sessions WHERE user_id = ?1) OR owner_id IN (SELECT id FROM user_identifiers WHERE user_id = ?1) OR owner_id IN (SELECT id FROM unverified_identifiers WHERE user_id = ?1)",
            "DELETE FROM outbox WHERE owner_id IN (SELECT id FROM sign_ins WHERE user_id = ?1) OR owner_id IN (SELECT id FROM sign_ups WHERE created_user_id = ?1) OR owner_id IN (SELECT id FROM sessions WHERE user_id = ?1) OR owner_id IN (SELECT id FROM user_identifiers WHERE user_id = ?1) OR owner_id IN (SELECT id FROM unverified_identifiers WHERE user_id = ?1) OR recipient IN (SELECT value FROM user_identifiers WHERE user_id = ?1)",
            "DELETE FROM dev_outbox WHERE recipient IN (SELECT value FROM user_identifiers WHERE user_id = ?1)",
            "DELETE FROM webhook_outbox WHERE user_id = ?1 AND status IN ('sent', 'failed')",
            "DELETE FROM identifier_failures WHERE identifier IN (SELECT value FROM user_identifiers WHERE user_id = ?1) OR identifier IN (SELECT canonical FROM user_identifiers WHERE user_id = ?1)",
            "DELETE FROM sign_ins WHERE user_id = ?1",
            "DELETE FROM sign_ups WHERE created_user_id = ?1",
            "DELETE FROM sessions WHERE user_id = ?1",
            "DELETE FROM user_identifiers WHERE user_id = ?1",
            "DELETE FROM unverified_identifiers WHERE user_id = ?1",
            "DELETE FROM users WHERE id = ?1",
        ] {
            self.execute(sql, [user_id])?;
        }
        Ok(())
    }

    async fn user_sessions(&mut self, user_id: &str) -> Result<Vec<SessionRow>, StoreError> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions
                 WHERE user_id = ? AND status = 'active' ORDER BY created_at"
            ))?
            .query_map([user_id], session_row)?
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn revoke_session(&mut self, session_id: &str, now: i64) -> Result<bool, StoreError> {
        let changed = self.deleted(
            "UPDATE sessions SET status = 'revoked', updated_at = ?1
             WHERE id = ?2 AND status = 'active'",
            params![now, session_id],
        )?;
        Ok(changed == 1)
    }

    async fn set_session_verified(&mut self, session_id: &str, now: i64) -> Result<(), StoreError> {
        self.execute(
            "UPDATE sessions SET verified_at = ?1, updated_at = ?1 WHERE id = ?2",
            params![now, session_id],
        )
    }

    async fn end_sessions(
        &mut self,
        client_id: &str,
        session_id: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE sessions SET status = 'ended', updated_at = ?1
             WHERE client_id = ?2 AND status = 'active' AND (?3 IS NULL OR id = ?3)",
            params![now, client_id, session_id],
        )
    }

    // ---- the delivery outbox ----

    async fn supersede_outbox(&mut self, owner_id: &str, now: i64) -> Result<(), StoreError> {
        self.execute(
            "UPDATE outbox SET status = 'superseded', payload = NULL, finished_at = ?
             WHERE owner_id = ? AND status IN ('pending', 'sending')",
            params![now, owner_id],
        )
    }

    async fn insert_outbox(
        &mut self,
        owner_id: &str,
        o: &NewOutbox,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO outbox (owner_id, channel, recipient, locale, payload, status, attempts, next_attempt_at,
               deadline_at, created_at)
             VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
            params![
                owner_id,
                channel_name(o.channel),
                o.recipient,
                o.locale,
                o.payload,
                now,
                o.deadline_at,
                now
            ],
        )
    }

    /// The connection's lock already gives one claimer at a time.
    async fn claim_outbox(
        &mut self,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<OutboxJob>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "UPDATE outbox SET status = 'sending', lease_until = ?1
                 WHERE id = (SELECT id FROM outbox
                             WHERE (status = 'pending' AND next_attempt_at <= ?2)
                                OR (status = 'sending' AND lease_until <= ?2)
                             ORDER BY id LIMIT 1)
                 RETURNING id, owner_id, channel, recipient, locale, payload, attempts, deadline_at",
            )?
            .query_row(params![lease_until, now], |r| {
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
    }

    async fn retry_outbox(
        &mut self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE outbox SET status = 'pending', attempts = attempts + 1, next_attempt_at = ?,
               lease_until = NULL, last_error = ?
             WHERE id = ? AND status = 'sending'",
            params![next_attempt_at, error, id],
        )
    }

    async fn finish_outbox(
        &mut self,
        id: i64,
        now: i64,
        outcome: &OutboxOutcome,
    ) -> Result<(), StoreError> {
        let (status, provider_id, error) = outcome.columns();
        self.execute(
            "UPDATE outbox SET status = ?, attempts = attempts + 1, provider_id = ?,
               last_error = COALESCE(?, last_error), payload = NULL, lease_until = NULL, finished_at = ?
             WHERE id = ?",
            params![status, provider_id, error, now, id],
        )
    }

    async fn insert_dev_message(
        &mut self,
        m: &otp_proto::dev::OutboxMessage,
        key: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO dev_outbox (recipient, recipient_key, channel, code, body, sent_at)
             VALUES (?, ?, ?, ?, ?, ?)",
            params![
                m.to,
                key,
                channel_name(m.channel),
                m.code,
                m.body,
                m.sent_at
            ],
        )
    }

    async fn dev_message(
        &mut self,
        key: &str,
    ) -> Result<Option<otp_proto::dev::OutboxMessage>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT recipient, channel, code, body, sent_at FROM dev_outbox
                 WHERE recipient_key = ? ORDER BY id DESC LIMIT 1",
            )?
            .query_row([key], |r| {
                Ok(otp_proto::dev::OutboxMessage {
                    to: r.get("recipient")?,
                    channel: channel_of(&r.get::<_, String>("channel")?),
                    code: r.get("code")?,
                    body: r.get("body")?,
                    sent_at: r.get("sent_at")?,
                })
            })
            .optional()?)
    }

    // ---- housekeeping ----

    /// SQLite has one writer at a time: a write transaction is always alone.
    async fn try_lead(&mut self, _name: &str) -> Result<bool, StoreError> {
        Ok(true)
    }

    async fn delete_stale_sessions(
        &mut self,
        before: i64,
        idle_ms: i64,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        self.deleted_ids(
            "DELETE FROM sessions WHERE id IN (
               SELECT id FROM sessions
               WHERE (status <> 'active' AND updated_at <= ?1)
                  OR (status = 'active' AND (abandon_at <= ?1 OR last_active_at + ?2 <= ?1))
               LIMIT ?3)
             RETURNING id",
            params![before, idle_ms, limit],
        )
    }

    async fn forget_session_choices(&mut self, session_ids: &[String]) -> Result<(), StoreError> {
        for id in session_ids {
            self.execute(
                "UPDATE clients SET last_active_session_id = NULL WHERE last_active_session_id = ?",
                [id],
            )?;
        }
        Ok(())
    }

    async fn delete_expired_sign_ups(
        &mut self,
        now: i64,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        self.deleted_ids(
            "DELETE FROM sign_ups WHERE id IN (
               SELECT id FROM sign_ups WHERE abandon_at <= ? LIMIT ?)
             RETURNING id",
            params![now, limit],
        )
    }

    async fn delete_expired_sign_ins(
        &mut self,
        now: i64,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        self.deleted_ids(
            "DELETE FROM sign_ins WHERE id IN (
               SELECT id FROM sign_ins WHERE abandon_at <= ? LIMIT ?)
             RETURNING id",
            params![now, limit],
        )
    }

    async fn delete_codes(&mut self, owner_ids: &[String]) -> Result<u64, StoreError> {
        let mut deleted = 0;
        let mut statement = self
            .0
            .prepare_cached("DELETE FROM codes WHERE owner_id = ?")?;
        for id in owner_ids {
            deleted += statement.execute([id])? as u64;
        }
        Ok(deleted)
    }

    async fn delete_idle_clients(&mut self, before: i64, limit: u32) -> Result<u64, StoreError> {
        self.deleted(
            "DELETE FROM clients WHERE id IN (
               SELECT c.id FROM clients c
               WHERE c.updated_at <= ?
                 AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.client_id = c.id)
                 AND NOT EXISTS (SELECT 1 FROM sign_ups u WHERE u.client_id = c.id)
                 AND NOT EXISTS (SELECT 1 FROM sign_ins i WHERE i.client_id = c.id)
               LIMIT ?)",
            params![before, limit],
        )
    }

    async fn delete_old_sends(&mut self, before: i64, limit: u32) -> Result<u64, StoreError> {
        self.deleted(
            "DELETE FROM send_events WHERE rowid IN (
               SELECT rowid FROM send_events WHERE at <= ? LIMIT ?)",
            params![before, limit],
        )
    }

    async fn delete_finished_messages(
        &mut self,
        before: i64,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let outbox = self.deleted(
            "DELETE FROM outbox WHERE id IN (
               SELECT id FROM outbox
               WHERE status IN ('sent', 'failed', 'superseded') AND finished_at <= ? LIMIT ?)",
            params![before, limit],
        )?;
        let dev = self.deleted(
            "DELETE FROM dev_outbox WHERE id IN (
               SELECT id FROM dev_outbox WHERE sent_at <= ? LIMIT ?)",
            params![before, limit],
        )?;
        let webhooks = self.deleted(
            "DELETE FROM webhook_outbox WHERE id IN (
               SELECT id FROM webhook_outbox
               WHERE status IN ('sent', 'failed') AND finished_at <= ? LIMIT ?)",
            params![before, limit],
        )?;
        Ok(outbox + dev + webhooks)
    }

    async fn delete_spent_lockouts(
        &mut self,
        now: i64,
        forgotten_before: i64,
        limit: u32,
    ) -> Result<u64, StoreError> {
        self.deleted(
            "DELETE FROM identifier_failures WHERE identifier IN (
               SELECT identifier FROM identifier_failures
               WHERE (failures = 0 OR updated_at < ?) AND (locked_until IS NULL OR locked_until <= ?)
               LIMIT ?)",
            params![forgotten_before, now, limit],
        )
    }

    async fn delete_old_fraud_blocks(
        &mut self,
        before: i64,
        limit: u32,
    ) -> Result<u64, StoreError> {
        self.deleted(
            "DELETE FROM sms_fraud_blocks WHERE id IN (
               SELECT id FROM sms_fraud_blocks WHERE blocked_until <= ? LIMIT ?)",
            params![before, limit],
        )
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
        let (ids, keys) = filter_lists(filter)?;
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT u.id FROM users u WHERE {USER_FILTER} ORDER BY {order} LIMIT ?5 OFFSET ?6"
            ))?
            .query_map(
                params![filter.contains, filter.digits, ids, keys, limit, offset],
                |r| r.get(0),
            )?
            .collect::<Result<Vec<String>, _>>()?)
    }

    async fn count_users(&mut self, filter: &UserFilter) -> Result<u64, StoreError> {
        let (ids, keys) = filter_lists(filter)?;
        Ok(self
            .0
            .prepare_cached(&format!("SELECT COUNT(*) FROM users u WHERE {USER_FILTER}"))?
            .query_row(params![filter.contains, filter.digits, ids, keys], |r| {
                r.get(0)
            })?)
    }

    async fn set_banned(
        &mut self,
        user_id: &str,
        banned_at: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE users SET banned_at = ?1, updated_at = ?2 WHERE id = ?3",
            params![banned_at, now, user_id],
        )
    }

    async fn session_by_id(&mut self, id: &str) -> Result<Option<SessionRow>, StoreError> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?"
            ))?
            .query_row([id], session_row)
            .optional()?)
    }

    async fn sessions_of(
        &mut self,
        user_id: Option<&str>,
        client_id: Option<&str>,
    ) -> Result<Vec<SessionRow>, StoreError> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions
                 WHERE (?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR client_id = ?2)
                 ORDER BY created_at DESC, id DESC"
            ))?
            .query_map(params![user_id, client_id], session_row)?
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn insert_api_key(
        &mut self,
        key: &ApiKeyRow,
        token_hash: &[u8],
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO api_keys (id, name, token_hash, hint, created_at, revoked_at)
             VALUES (?, ?, ?, ?, ?, ?)",
            params![
                key.id,
                key.name,
                token_hash,
                key.hint,
                key.created_at,
                key.revoked_at
            ],
        )
    }

    async fn api_keys(&mut self) -> Result<Vec<ApiKeyRow>, StoreError> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY created_at, id"
            ))?
            .query_map([], api_key_row)?
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn api_key(&mut self, token_hash: &[u8]) -> Result<Option<ApiKeyRow>, StoreError> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE token_hash = ?"
            ))?
            .query_row([token_hash], api_key_row)
            .optional()?)
    }

    async fn revoke_api_key(&mut self, id_or_name: &str, now: i64) -> Result<u64, StoreError> {
        self.deleted(
            "UPDATE api_keys SET revoked_at = ?1
             WHERE (id = ?2 OR name = ?2) AND revoked_at IS NULL",
            params![now, id_or_name],
        )
    }

    // ---- webhooks ----

    async fn insert_webhook(&mut self, e: &NewWebhook<'_>, now: i64) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO webhook_outbox (msg_id, endpoint_id, user_id, body, status,
               next_attempt_at, deadline_at, created_at)
             VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?5)",
            params![
                e.msg_id,
                e.endpoint_id,
                e.user_id,
                e.body,
                now,
                e.deadline_at
            ],
        )
    }

    async fn claim_webhook(
        &mut self,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<WebhookJob>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                // A lease that ran out first (always the head of its user's events), else the
                // first due event in the due index whose user has none older to send: the
                // index walk stops at the first one, however many wait behind a down endpoint.
                "UPDATE webhook_outbox SET status = 'sending', lease_until = ?1
                 WHERE id = COALESCE(
                   (SELECT w.id FROM webhook_outbox w
                     WHERE w.status = 'sending' AND w.lease_until <= ?2
                     ORDER BY w.id LIMIT 1),
                   (SELECT w.id FROM webhook_outbox w
                     WHERE w.status = 'pending' AND w.next_attempt_at <= ?2
                       AND NOT EXISTS (
                         SELECT 1 FROM webhook_outbox o
                         WHERE o.user_id = w.user_id AND o.endpoint_id = w.endpoint_id
                           AND o.id < w.id AND o.status IN ('pending', 'sending'))
                     ORDER BY w.next_attempt_at, w.id LIMIT 1))
                 RETURNING id, msg_id, endpoint_id, body, attempts, deadline_at",
            )?
            .query_row(params![lease_until, now], |r| {
                Ok(WebhookJob {
                    id: r.get("id")?,
                    msg_id: r.get("msg_id")?,
                    endpoint_id: r.get("endpoint_id")?,
                    body: r.get("body")?,
                    attempts: r.get("attempts")?,
                    deadline_at: r.get("deadline_at")?,
                })
            })
            .optional()?)
    }

    async fn retry_webhook(
        &mut self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE webhook_outbox SET status = 'pending', attempts = attempts + 1,
               next_attempt_at = ?, lease_until = NULL, last_error = ?
             WHERE id = ? AND status = 'sending'",
            params![next_attempt_at, error, id],
        )?;
        // The user's later events to the endpoint wait for this one: not due before it, so a
        // claim never looks at them in vain meanwhile.
        self.execute(
            "UPDATE webhook_outbox SET next_attempt_at = MAX(next_attempt_at, ?1)
             WHERE status = 'pending' AND id > ?2
               AND (user_id, endpoint_id) = (SELECT user_id, endpoint_id FROM webhook_outbox
                                             WHERE id = ?2)",
            params![next_attempt_at, id],
        )
    }

    async fn finish_webhook(
        &mut self,
        id: i64,
        now: i64,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let status = if error.is_some() { "failed" } else { "sent" };
        self.execute(
            "UPDATE webhook_outbox SET status = ?, attempts = attempts + 1,
               last_error = COALESCE(?, last_error), lease_until = NULL, finished_at = ?
             WHERE id = ?",
            params![status, error, now, id],
        )
    }

    async fn outbox_backlog(&mut self) -> Result<(u64, Option<i64>), StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE status IN ('pending', 'sending')",
            )?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?)
    }

    async fn webhook_backlog(&mut self) -> Result<(u64, Option<i64>), StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT COUNT(*), MIN(created_at) FROM webhook_outbox
                 WHERE status IN ('pending', 'sending')",
            )?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?)
    }

    async fn webhook_endpoints(&mut self) -> Result<Vec<WebhookEndpointRow>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT id, url, secret, created_at FROM webhook_endpoints ORDER BY created_at, id",
            )?
            .query_map([], |r| {
                Ok(WebhookEndpointRow {
                    id: r.get("id")?,
                    url: r.get("url")?,
                    secret: r.get("secret")?,
                    created_at: r.get("created_at")?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn insert_webhook_endpoint(
        &mut self,
        row: &WebhookEndpointRow,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO webhook_endpoints (id, url, secret, created_at) VALUES (?, ?, ?, ?)",
            params![row.id, row.url, row.secret, row.created_at],
        )
    }

    async fn delete_webhook_endpoint(&mut self, id: &str) -> Result<u64, StoreError> {
        self.deleted("DELETE FROM webhook_endpoints WHERE id = ?", [id])
    }

    // ---- keys ----

    async fn insert_secret(
        &mut self,
        name: &str,
        secret: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO server_keys (name, secret, created_at) VALUES (?, ?, ?)
             ON CONFLICT (name) DO NOTHING",
            params![name, secret, now],
        )
    }

    async fn secret(&mut self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .0
            .prepare_cached("SELECT secret FROM server_keys WHERE name = ?")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    async fn jwt_keys(&mut self) -> Result<Vec<JwtKeyRow>, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT generation, pem, created_at, algorithm, revoked_at FROM jwt_keys
                 ORDER BY generation",
            )?
            .query_map([], |r| {
                Ok(JwtKeyRow {
                    generation: r.get("generation")?,
                    pem: r.get("pem")?,
                    created_at: r.get("created_at")?,
                    algorithm: r.get("algorithm")?,
                    revoked_at: r.get("revoked_at")?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn revoke_jwt_keys_before(
        &mut self,
        generation: i64,
        now: i64,
    ) -> Result<u64, StoreError> {
        self.deleted(
            "UPDATE jwt_keys SET revoked_at = ? WHERE generation < ? AND revoked_at IS NULL",
            params![now, generation],
        )
    }

    async fn insert_jwt_key(&mut self, key: &JwtKeyRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO jwt_keys (generation, pem, created_at, algorithm) VALUES (?, ?, ?, ?)
             ON CONFLICT (generation) DO NOTHING",
            params![key.generation, key.pem, key.created_at, key.algorithm],
        )
    }
}

/// The columns of an owner's current code (joined as `k`) and its latest delivery status, for
/// the queries that load a sign-up or sign-in with its code in one statement.
const CODE_COLUMNS: &str = "k.strategy AS code_strategy, k.identifier AS code_identifier,
    k.status AS code_status, k.attempts AS code_attempts, k.expire_at AS code_expire_at,
    (SELECT status FROM outbox WHERE outbox.owner_id = k.owner_id ORDER BY id DESC LIMIT 1) AS delivery";

/// The code of a row selected with [`CODE_COLUMNS`], if the owner has one.
fn code_of(r: &Row<'_>) -> Result<Option<CodeRow>, StoreError> {
    let Some(strategy_name) = r.get::<_, Option<String>>("code_strategy")? else {
        return Ok(None);
    };
    let delivery: Option<String> = r.get("delivery")?;
    Ok(Some(CodeRow {
        strategy: strategy(&strategy_name)?,
        sent_to: r.get("code_identifier")?,
        attempts: r.get("code_attempts")?,
        state: code_state(&r.get::<_, String>("code_status")?)?,
        expire_at: r.get("code_expire_at")?,
        delivery: delivery.as_deref().map(delivery_status),
    }))
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
const SESSION_COLUMNS: &str = "id, client_id, user_id, status, last_active_at, abandon_at, \
     created_at, updated_at, activity_ip, activity_agent, COALESCE(verified_at, created_at) AS verified_at";

/// The condition of [`UserFilter`] on `users u`, over `?1` (contains), `?2` (digits), `?3`
/// (user ids, a JSON array) and `?4` (identifier keys, a JSON array).
const USER_FILTER: &str = "(?1 IS NULL OR lower(u.id) LIKE ?1 ESCAPE '\\'
       OR EXISTS (SELECT 1 FROM user_identifiers i WHERE i.user_id = u.id
                    AND (lower(i.value) LIKE ?1 ESCAPE '\\'
                         OR (?2 IS NOT NULL AND i.kind = 'phone' AND i.value LIKE ?2)))
     )
     AND (json_array_length(?3) = 0 OR u.id IN (SELECT value FROM json_each(?3)))
     AND (json_array_length(?4) = 0 OR EXISTS (
           SELECT 1 FROM user_identifiers i WHERE i.user_id = u.id
             AND (i.canonical IN (SELECT value FROM json_each(?4))
                  OR i.value IN (SELECT value FROM json_each(?4)))))";

/// A filter's lists as the JSON arrays [`USER_FILTER`] reads.
fn filter_lists(filter: &UserFilter) -> Result<(String, String), StoreError> {
    let json = |list: &Vec<String>| serde_json::to_string(list).map_err(anyhow::Error::from);
    Ok((json(&filter.user_ids)?, json(&filter.identifier_keys)?))
}

/// The columns [`api_key_row`] reads.
const API_KEY_COLUMNS: &str = "id, name, hint, created_at, revoked_at";

fn api_key_row(r: &Row<'_>) -> rusqlite::Result<ApiKeyRow> {
    Ok(ApiKeyRow {
        id: r.get("id")?,
        name: r.get("name")?,
        hint: r.get("hint")?,
        created_at: r.get("created_at")?,
        revoked_at: r.get("revoked_at")?,
    })
}

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
        activity: Activity {
            ip: r.get("activity_ip")?,
            user_agent: r.get("activity_agent")?,
        },
        verified_at: r.get("verified_at")?,
    })
}

#[cfg(test)]
mod tests {

    /// A process stopped without closing the database leaves its last commits in the WAL; the
    /// next start folds them into the database and empties the WAL, and nothing is lost.
    #[tokio::test]
    async fn the_next_start_folds_in_the_wal_an_unclean_stop_left() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}", dir.path().join("otp.db").display());
        let wal = dir.path().join("otp.db-wal");
        let store = super::super::connect(&url, 1).await.expect("store");
        for i in 0..10u8 {
            store
                .create_client(&format!("client_{i}"), &[i; 32], 0)
                .await
                .expect("write");
        }
        // As if the process were killed: the connection is never closed.
        std::mem::forget(store);
        assert!(std::fs::metadata(&wal).expect("wal").len() > 0);
        let store = super::super::connect(&url, 1).await.expect("store");
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
        let store = super::super::connect(&format!("sqlite://{}", db.display()), 1)
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
        // restarting, it stays near 30 MB here (the commits made while a checkpoint runs), and
        // reached 178 MB once while the whole test suite shared the 2 cores (the checkpoint
        // thread waits for a core): the bound is half of what no restart would leave.
        let wal = std::fs::metadata(dir.path().join("otp.db-wal"))
            .expect("wal")
            .len();
        assert!(wal < 256 << 20, "the WAL grew to {} MB", wal >> 20);
    }
}
