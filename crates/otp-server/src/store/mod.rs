//! Persistence: [`Store`], everything the server keeps, as atomic operations.
//!
//! # Layout
//! - `rows.rs`: what the store takes and returns (rows, operation arguments), and the mapping of
//!   stored strings shared by both databases.
//! - `flows.rs`: the policy, written once: each operation as a flow of primitive reads and writes
//!   inside one transaction (codes, attempts, send and create limits, SMS-pumping blocks,
//!   lock-outs, sessions, the outbox, the janitor's bounded sweeps).
//! - `tx.rs`: `Tx`, the primitive reads and writes a database provides.
//! - `sqlite.rs` (embedded, the default) and `postgres.rs` (several instances on one database):
//!   each holds its SQL, its row mapping and its own way of serializing the transactions that
//!   check then change (SQLite: one writer at a time, `BEGIN IMMEDIATE`; PostgreSQL:
//!   transaction-scoped advisory locks on what a flow counts, `SKIP LOCKED` for the outbox),
//!   so the policy holds under concurrency and across instances.

mod flows;
mod postgres;
mod rows;
mod sqlite;
mod tx;

use postgres::PgStore;
pub use rows::*;
use sqlite::SqliteStore;

use crate::config::ConfigError;
use crate::domain::Identifier;
use flows::KeyedIdentifiers;
use std::sync::Arc;
use tx::{Access, Tx};

/// The server's store: cheap to clone, one database behind it.
#[derive(Debug, Clone)]
pub struct Store {
    database: Arc<Database>,
    /// Where the changes' webhook events go (nowhere by default).
    webhooks: Webhooks,
}

/// The database a [`Store`] runs its flows on.
#[derive(Debug)]
enum Database {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Whether `url` names a database the store can open: `sqlite:…`, `postgres://…` or
/// `postgresql://…`.
fn is_supported_url(url: &str) -> bool {
    is_postgres(url) || url.starts_with("sqlite:")
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Opens the database named by `url` (`sqlite://…` or `postgres://…`) and applies its migrations;
/// any other URL is a [`ConfigError`].
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Store> {
    if !is_supported_url(url) {
        // The URL is not repeated: it may hold a password.
        return Err(ConfigError::new(
            "--database-url (OTP_DATABASE_URL) must start with sqlite:, postgres:// or postgresql://",
        )
        .into());
    }
    let database = if is_postgres(url) {
        Database::Postgres(PgStore::connect(url, max_connections).await?)
    } else {
        Database::Sqlite(SqliteStore::connect(url).await?)
    };
    let store = Store {
        database: Arc::new(database),
        webhooks: Webhooks::default(),
    };
    let keyed = store.key_identifiers().await?;
    if keyed != KeyedIdentifiers::default() {
        tracing::info!(
            keyed = keyed.keyed,
            duplicates = keyed.duplicates,
            unparsable = keyed.unparsable,
            "identifiers stored before canonical keys now have theirs (duplicates and unparsable \
             emails are found only by their exact address: docs/protocol.md, \"Email addresses\")"
        );
    }
    Ok(store)
}

/// Runs `$flow`, an expression over `$tx: &mut impl Tx` (usually a flow of `flows.rs`), in one
/// transaction of the store's database, committed if it succeeds and rolled back otherwise.
/// `|tx|` only names the transaction (it is not a closure): the flow is written once and
/// compiled once per database. SQLite runs it on the calling thread under its writer lock (its
/// primitives never wait); PostgreSQL awaits it on a pooled connection. Used in the methods of
/// [`Store`] below, which return what the flow returns, or its error.
macro_rules! transaction {
    ($store:expr, $access:expr, |$tx:ident| $flow:expr) => {
        match &*$store.database {
            Database::Sqlite(db) => db.transaction($access, |$tx| sqlite::run_ready($flow)),
            Database::Postgres(db) => {
                let mut open = db.begin($access).await?;
                let out = {
                    let $tx = &mut open;
                    $flow
                }
                .await?;
                open.commit().await?;
                Ok(out)
            }
        }
    };
}

impl Store {
    /// Keys the identifiers stored before canonical keys ([`flows::key_identifiers`]): run by
    /// [`connect`] after the migrations, in one transaction, one instance at a time.
    async fn key_identifiers(&self) -> Result<KeyedIdentifiers, StoreError> {
        transaction!(self, Access::Write, |tx| flows::key_identifiers(tx))
    }

    /// The same store, queuing the webhook events of its changes as `webhooks` says.
    pub fn with_webhooks(self, webhooks: Webhooks) -> Self {
        Self { webhooks, ..self }
    }

    /// Whether the database answers (for `/healthz`).
    pub async fn ping(&self) -> anyhow::Result<()> {
        match &*self.database {
            Database::Sqlite(db) => db.ping(),
            Database::Postgres(db) => db.ping().await,
        }
    }

    // ---- clients ----

    /// Stores a new client with its token hash.
    pub async fn create_client(
        &self,
        id: &str,
        token_hash: &[u8],
        now: i64,
    ) -> Result<ClientRow, StoreError> {
        transaction!(self, Access::Write, |tx| tx
            .insert_client(id, token_hash, now))?;
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
    pub async fn client_by_token(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<ClientRow>, StoreError> {
        transaction!(self, Access::Read, |tx| tx.client_by_token(token_hash))
    }

    /// The client with everything needed to render it.
    pub async fn client_state(&self, client_id: &str) -> Result<ClientState, StoreError> {
        transaction!(self, Access::Read, |tx| flows::client_state(tx, client_id))
    }

    // ---- sign-ups and sign-ins ----

    /// Stores a new sign-up and makes it the client's current one (storing the client first if
    /// it is new); refuses an identifier that already belongs to a user.
    pub async fn create_sign_up(
        &self,
        id: &str,
        client: ClientKey<'_>,
        identifier: &Identifier,
        now: i64,
        abandon_at: i64,
    ) -> Result<(), StoreError> {
        transaction!(self, Access::Write, |tx| flows::create_sign_up(
            tx, id, client, identifier, now, abandon_at, true
        ))
    }

    /// Enumeration protection: stores a new sign-up as [`Store::create_sign_up`] does, also when
    /// the identifier belongs to a user, after the same lookup, so the two cases do the same
    /// work. Such a sign-up can never complete (its prepare sends the owner a notice, and its
    /// attempts are [`CompletionKind::Decoy`]s).
    pub async fn create_sign_up_even_if_taken(
        &self,
        id: &str,
        client: ClientKey<'_>,
        identifier: &Identifier,
        now: i64,
        abandon_at: i64,
    ) -> Result<(), StoreError> {
        transaction!(self, Access::Write, |tx| flows::create_sign_up(
            tx, id, client, identifier, now, abandon_at, false
        ))
    }

    /// A sign-up by id.
    pub async fn sign_up(&self, id: &str) -> Result<Option<SignUpRow>, StoreError> {
        transaction!(self, Access::Read, |tx| tx.sign_up(id))
    }

    /// The user owning a verified identifier.
    pub async fn user_by_identifier(
        &self,
        identifier: &Identifier,
    ) -> Result<Option<UserRow>, StoreError> {
        transaction!(self, Access::Read, |tx| flows::user_by_identifier(
            tx, identifier
        ))
    }

    /// Whether a user has the identifier: one indexed lookup, whether or not one does (so that
    /// enumeration protection's checks take the same time either way).
    pub async fn identifier_taken(&self, identifier: &Identifier) -> Result<bool, StoreError> {
        let found = transaction!(self, Access::Read, |tx| tx
            .user_id_by_identifier(identifier.key(), identifier.legacy_value()))?;
        Ok(found.is_some())
    }

    /// A user by id.
    pub async fn user(&self, id: &str) -> Result<Option<UserRow>, StoreError> {
        transaction!(self, Access::Read, |tx| tx.user(id))
    }

    /// Stores a new sign-in and makes it the client's current one (storing the client first if
    /// it is new).
    pub async fn create_sign_in(
        &self,
        id: &str,
        client: ClientKey<'_>,
        identifier: &Identifier,
        user_id: &str,
        now: i64,
        abandon_at: i64,
    ) -> Result<(), StoreError> {
        transaction!(self, Access::Write, |tx| flows::create_sign_in(
            tx, id, client, identifier, user_id, now, abandon_at
        ))
    }

    /// Enumeration protection: stores a new sign-in and makes it the client's current one, for
    /// the identifier's user or, when nobody has the identifier, as a decoy showing one factor
    /// (the identifier, under `decoy_factor_id`) that can never complete. Both cases run the
    /// same statements in one transaction. Returns whether the identifier has an account.
    pub async fn create_sign_in_or_decoy(
        &self,
        id: &str,
        client: ClientKey<'_>,
        identifier: &Identifier,
        decoy_factor_id: &str,
        now: i64,
        abandon_at: i64,
    ) -> Result<bool, StoreError> {
        transaction!(self, Access::Write, |tx| flows::create_sign_in_or_decoy(
            tx,
            id,
            client,
            identifier,
            decoy_factor_id,
            now,
            abandon_at
        ))
    }

    /// A sign-in by id, with the factors its user can receive a code at.
    pub async fn sign_in(&self, id: &str) -> Result<Option<SignInRow>, StoreError> {
        transaction!(self, Access::Read, |tx| flows::sign_in(tx, id))
    }

    // ---- codes ----

    /// Checks the lock, the destination prefix's SMS-pumping block (imposing one when its
    /// codes look pumped) and the send limits, then stores the code (replacing any earlier one),
    /// records the send, and queues its message, all in one transaction.
    pub async fn prepare_code(&self, p: PrepareCode<'_>) -> Result<Prepared, StoreError> {
        transaction!(self, Access::Write, |tx| flows::prepare_code(tx, &p))
    }

    /// The code of an owner (an added identifier, a session's reverification) as it is shown.
    pub async fn code(&self, owner_id: &str) -> Result<Option<CodeRow>, StoreError> {
        transaction!(self, Access::Read, |tx| tx.code_row(owner_id))
    }

    // ---- abuse limits ----

    /// Counts one request against every limit in `limits` (scope and hourly limit), or refuses
    /// it with [`StoreError::TooManyRequests`] (counting nothing) when one of them is reached.
    /// For the limits on requests that create something without authentication.
    pub async fn admit(
        &self,
        limits: &[(String, crate::rate_limit::SendLimits)],
        now: i64,
    ) -> Result<(), StoreError> {
        transaction!(self, Access::Write, |tx| flows::admit(tx, limits, now))
    }

    /// The SMS-pumping blocks imposed at `since` or later, oldest first: the fraud-block counter
    /// a metrics endpoint reads (blocks are kept as long as finished messages).
    pub async fn fraud_blocks(&self, since: i64) -> Result<Vec<FraudBlock>, StoreError> {
        transaction!(self, Access::Read, |tx| tx.fraud_blocks(since))
    }

    // ---- housekeeping ----

    /// Removes what nothing needs any more ([`Retention`] says what and when), in batches of at
    /// most `batch` rows of each kind, one transaction per batch, so neither database is held
    /// for long; returns what was removed, or `None` when another instance's janitor was at
    /// work (on PostgreSQL, one janitor works at a time).
    pub async fn sweep(
        &self,
        now: i64,
        retention: &Retention,
        batch: u32,
    ) -> Result<Option<Swept>, StoreError> {
        let mut total = None::<Swept>;
        // Bounded, in case the database keeps filling as fast as it is swept.
        for _ in 0..1_000 {
            let Some(swept) = transaction!(self, Access::Write, |tx| flows::sweep(
                tx, now, retention, batch
            ))?
            else {
                // Another janitor took over between two batches: it finishes the work.
                break;
            };
            let total = total.get_or_insert_default();
            total.add(swept);
            let full = [
                swept.clients,
                swept.sign_ups,
                swept.sign_ins,
                swept.sessions,
                swept.send_events,
            ]
            .into_iter()
            .any(|n| n >= u64::from(batch));
            if !full && swept.messages < u64::from(batch) * 2 && swept.other < u64::from(batch) {
                break;
            }
        }
        Ok(total)
    }

    /// Judges an attempt against the stored code and records the outcome: a wrong code counts
    /// against the code and the identifier; a right one marks the code used and creates what
    /// `a.completion` says, in the same transaction.
    pub async fn attempt_code(
        &self,
        a: AttemptCode<'_>,
        matches: &(dyn for<'m> Fn(&'m [u8]) -> bool + Send + Sync),
    ) -> Result<AttemptOutcome, StoreError> {
        transaction!(self, Access::Write, |tx| flows::attempt_code(
            tx,
            &a,
            matches,
            &self.webhooks
        ))
    }

    // ---- sessions ----

    /// A session of a client (any state).
    pub async fn session(
        &self,
        client_id: &str,
        session_id: &str,
    ) -> Result<Option<SessionRow>, StoreError> {
        transaction!(self, Access::Read, |tx| tx.session(client_id, session_id))
    }

    /// Records activity on a session (when, and from where: `activity`); with
    /// `make_last_active`, also makes it the client's chosen session (Clerk's `touch`).
    pub async fn touch_session(
        &self,
        client_id: &str,
        session_id: &str,
        now: i64,
        make_last_active: bool,
        activity: &Activity,
    ) -> Result<(), StoreError> {
        transaction!(self, Access::Write, |tx| flows::touch_session(
            tx,
            client_id,
            session_id,
            now,
            make_last_active,
            activity
        ))
    }

    /// Ends one session of a client, or all of them when `session_id` is `None`.
    pub async fn end_sessions(
        &self,
        client_id: &str,
        session_id: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        transaction!(self, Access::Write, |tx| flows::end_sessions(
            tx,
            client_id,
            session_id,
            now,
            &self.webhooks
        ))
    }

    /// The user's sessions not ended or revoked (possibly expired), on every device, oldest
    /// first.
    pub async fn user_sessions(&self, user_id: &str) -> Result<Vec<SessionRow>, StoreError> {
        transaction!(self, Access::Read, |tx| tx.user_sessions(user_id))
    }

    /// Revokes one of the user's sessions, wherever it is; `None` if the user has no such active
    /// session.
    pub async fn revoke_user_session(
        &self,
        user_id: &str,
        session_id: &str,
        now: i64,
    ) -> Result<Option<SessionRow>, StoreError> {
        transaction!(self, Access::Write, |tx| flows::revoke_user_session(
            tx,
            user_id,
            session_id,
            now,
            &self.webhooks
        ))
    }

    /// Deletes a user and their personal data, ending their sessions on every device; their
    /// identifiers are free for a new sign-up at once. False when there is no such user.
    pub async fn delete_user(&self, user_id: &str, now: i64) -> Result<bool, StoreError> {
        transaction!(self, Access::Write, |tx| flows::delete_user(
            tx,
            user_id,
            now,
            &self.webhooks
        ))
    }

    // ---- the Backend API ----

    /// The users `filter` matches, in `order`, `limit` of them after skipping `offset`.
    pub async fn users(
        &self,
        filter: &UserFilter,
        order: UserOrder,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<UserRow>, StoreError> {
        transaction!(self, Access::Read, |tx| flows::users(
            tx, filter, order, limit, offset
        ))
    }

    /// How many users `filter` matches.
    pub async fn count_users(&self, filter: &UserFilter) -> Result<u64, StoreError> {
        transaction!(self, Access::Read, |tx| tx.count_users(filter))
    }

    /// Creates a user with these verified identifiers (id, identifier), for imports;
    /// [`StoreError::IdentifierExists`] if another user has one of them.
    pub async fn create_user(
        &self,
        user_id: &str,
        identifiers: &[(String, Identifier)],
        now: i64,
    ) -> Result<UserRow, StoreError> {
        transaction!(self, Access::Write, |tx| flows::create_user(
            tx,
            user_id,
            identifiers,
            now,
            &self.webhooks
        ))
    }

    /// Bans the user (who can then no longer sign in, and whose sessions are revoked on every
    /// device) or lifts the ban; the user as it is now, `None` when there is no such user.
    pub async fn set_banned(
        &self,
        user_id: &str,
        banned: bool,
        now: i64,
    ) -> Result<Option<UserRow>, StoreError> {
        // A sign-in committing between the flow's first read and its locks makes it start
        // again; a few sign-ins in a row at that very moment are not a real workload.
        for _ in 0..5 {
            let done = transaction!(self, Access::Write, |tx| flows::set_banned(
                tx,
                user_id,
                banned,
                now,
                &self.webhooks
            ))?;
            if let flows::Banned::Done(user) = done {
                return Ok(user);
            }
        }
        Err(anyhow::anyhow!("the user kept signing in while being banned").into())
    }

    /// A session by its id (any state, on any device).
    pub async fn session_by_id(&self, id: &str) -> Result<Option<SessionRow>, StoreError> {
        transaction!(self, Access::Read, |tx| tx.session_by_id(id))
    }

    /// The sessions (any state) of a user and/or of a client, newest first.
    pub async fn sessions_of(
        &self,
        user_id: Option<&str>,
        client_id: Option<&str>,
    ) -> Result<Vec<SessionRow>, StoreError> {
        transaction!(self, Access::Read, |tx| tx.sessions_of(user_id, client_id))
    }

    /// Revokes any session (the operator's choice); the session as it is now, `None` when there
    /// is no such session.
    pub async fn revoke_session(
        &self,
        session_id: &str,
        now: i64,
    ) -> Result<Option<SessionRow>, StoreError> {
        transaction!(self, Access::Write, |tx| flows::revoke_session(
            tx,
            session_id,
            now,
            &self.webhooks
        ))
    }

    /// Stores a new secret key under the hash of the key.
    pub async fn add_api_key(&self, key: &ApiKeyRow, token_hash: &[u8]) -> Result<(), StoreError> {
        transaction!(self, Access::Write, |tx| tx.insert_api_key(key, token_hash))
    }

    /// Every secret key, revoked ones too, oldest first.
    pub async fn api_keys(&self) -> Result<Vec<ApiKeyRow>, StoreError> {
        transaction!(self, Access::Read, |tx| tx.api_keys())
    }

    /// The secret key whose hash is `token_hash`.
    pub async fn api_key(&self, token_hash: &[u8]) -> Result<Option<ApiKeyRow>, StoreError> {
        transaction!(self, Access::Read, |tx| tx.api_key(token_hash))
    }

    /// Revokes the keys whose id or name is `id_or_name`; returns how many.
    pub async fn revoke_api_key(&self, id_or_name: &str, now: i64) -> Result<u64, StoreError> {
        transaction!(self, Access::Write, |tx| tx.revoke_api_key(id_or_name, now))
    }

    // ---- the user's identifiers ----

    /// Adds an identifier to the user, unverified (nobody's for sign-in until a code sent to it
    /// is typed back: [`CompletionKind::AddIdentifier`]); [`StoreError::IdentifierExists`] if
    /// the user has it already.
    pub async fn add_identifier(
        &self,
        user_id: &str,
        id: &str,
        identifier: &Identifier,
        now: i64,
    ) -> Result<(), StoreError> {
        transaction!(self, Access::Write, |tx| flows::add_identifier(
            tx, user_id, id, identifier, now
        ))
    }

    /// Removes one of the user's identifiers with its pending code, and for a verified one
    /// (which needs `recently_verified` and `notices` made) queues `notices` (telling the user's
    /// identifiers) in the same transaction; the last verified one is
    /// [`StoreError::LastIdentifier`], another user's [`StoreError::NoIdentifier`].
    pub async fn remove_identifier(
        &self,
        user_id: &str,
        id: &str,
        recently_verified: bool,
        notices: &Notices,
        now: i64,
    ) -> Result<IdentifierRow, StoreError> {
        transaction!(self, Access::Write, |tx| flows::remove_identifier(
            tx,
            user_id,
            id,
            recently_verified,
            notices,
            now,
            &self.webhooks
        ))
    }

    /// Sets the user's primary email and/or phone number, each a verified identifier of theirs
    /// (else [`StoreError::NoIdentifier`]).
    pub async fn set_primary(
        &self,
        user_id: &str,
        email_id: Option<&str>,
        phone_id: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        transaction!(self, Access::Write, |tx| flows::set_primary(
            tx,
            user_id,
            email_id,
            phone_id,
            now,
            &self.webhooks
        ))
    }

    // ---- webhooks ----

    /// Claims the oldest due webhook event (in order per user and endpoint) for `lease_ms`.
    pub async fn claim_webhook(
        &self,
        now: i64,
        lease_ms: i64,
    ) -> Result<Option<WebhookJob>, StoreError> {
        transaction!(self, Access::Write, |tx| tx
            .claim_webhook(now, now + lease_ms))
    }

    /// Puts a claimed event back for a later attempt.
    pub async fn webhook_retry(
        &self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, Access::Write, |tx| tx.retry_webhook(
            id,
            next_attempt_at,
            error
        ))
    }

    /// Records that an event was delivered (`error` None) or given up.
    pub async fn webhook_finish(
        &self,
        id: i64,
        now: i64,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        transaction!(self, Access::Write, |tx| tx.finish_webhook(id, now, error))
    }

    /// How many outbox messages wait, and when the oldest of them was written.
    pub async fn outbox_backlog(&self) -> Result<(u64, Option<i64>), StoreError> {
        transaction!(self, Access::Read, |tx| tx.outbox_backlog())
    }

    /// How many webhook events wait, and when the oldest of them was written.
    pub async fn webhook_backlog(&self) -> Result<(u64, Option<i64>), StoreError> {
        transaction!(self, Access::Read, |tx| tx.webhook_backlog())
    }

    /// The endpoints made with `otp-server webhooks create`, oldest first.
    pub async fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpointRow>, StoreError> {
        transaction!(self, Access::Read, |tx| tx.webhook_endpoints())
    }

    /// Stores a new webhook endpoint.
    pub async fn add_webhook_endpoint(&self, row: &WebhookEndpointRow) -> Result<(), StoreError> {
        transaction!(self, Access::Write, |tx| tx.insert_webhook_endpoint(row))
    }

    /// Removes a webhook endpoint; returns how many.
    pub async fn remove_webhook_endpoint(&self, id: &str) -> Result<u64, StoreError> {
        transaction!(self, Access::Write, |tx| tx.delete_webhook_endpoint(id))
    }

    // ---- the delivery outbox ----

    /// Claims the oldest due message (pending and due, or leased by a worker that did not
    /// finish), reserving it for `lease_ms`. Two workers never claim the same message.
    pub async fn claim_outbox(
        &self,
        now: i64,
        lease_ms: i64,
    ) -> Result<Option<OutboxJob>, StoreError> {
        transaction!(self, Access::Write, |tx| tx
            .claim_outbox(now, now + lease_ms))
    }

    /// Schedules another try of a claimed message.
    pub async fn outbox_retry(
        &self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        transaction!(self, Access::Write, |tx| tx.retry_outbox(
            id,
            next_attempt_at,
            error
        ))
    }

    /// Records how a claimed message ended, and wipes its sealed code.
    pub async fn outbox_finish(
        &self,
        id: i64,
        now: i64,
        outcome: OutboxOutcome,
    ) -> Result<(), StoreError> {
        transaction!(self, Access::Write, |tx| tx
            .finish_outbox(id, now, &outcome))
    }

    /// The latest dev-mode message to `to`, by its canonical key (any casing of an email).
    pub async fn dev_outbox_latest(
        &self,
        to: &Identifier,
    ) -> Result<Option<otp_proto::dev::OutboxMessage>, StoreError> {
        transaction!(self, Access::Read, |tx| tx.dev_message(to.key()))
    }

    // ---- keys ----

    /// Stores `candidate` as the code HMAC key unless one is stored already; returns the stored one.
    pub async fn hmac_key(&self, candidate: &[u8; 32], now: i64) -> Result<[u8; 32], StoreError> {
        transaction!(self, Access::Write, |tx| flows::hmac_key(
            tx, candidate, now
        ))
    }

    /// The session-token signing keys, oldest first.
    pub async fn jwt_keys(&self) -> Result<Vec<JwtKeyRow>, StoreError> {
        transaction!(self, Access::Read, |tx| tx.jwt_keys())
    }

    /// Adds `key` as the newest signing key (its generation one past the newest stored) and,
    /// with `revoke_previous`, revokes every older one, in one transaction; the generation it
    /// got.
    pub async fn rotate_jwt_key(
        &self,
        key: &JwtKeyRow,
        revoke_previous: bool,
        now: i64,
    ) -> Result<i64, StoreError> {
        transaction!(self, Access::Write, |tx| flows::rotate_jwt_key(
            tx,
            key,
            revoke_previous,
            now
        ))
    }

    /// Adds a signing key, unless another instance added its generation first.
    pub async fn add_jwt_key(&self, key: &JwtKeyRow) -> Result<(), StoreError> {
        transaction!(self, Access::Write, |tx| tx.insert_jwt_key(key))
    }
}
