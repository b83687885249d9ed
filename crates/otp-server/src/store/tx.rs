//! What a database must provide: [`Tx`], the primitive reads and writes of one transaction, each
//! one statement (or one query with its joins). They decide nothing: the decisions are the flows
//! of [`super::flows`], which both databases run over this trait. A database file implements it
//! with SQL and row mapping, plus [`Tx::serialize_on`], its own way of ordering the transactions
//! that count the same things.
//!
//! The methods are `async` because PostgreSQL answers over the network; SQLite's return at once
//! (its flows are polled once, on the request's thread: `sqlite::run_ready`).

use super::rows::*;
use crate::domain::Identifier;
use crate::otp::{CodeState, StoredCode};
use crate::rate_limit::Lockout;

/// What a transaction does: reads only, or checks and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Reads only. SQLite: one snapshot; PostgreSQL: a pooled connection, each statement
    /// its own snapshot (as `client_state` has always been read there).
    Read,
    /// Writes, serialized with the writers it must be (see [`Tx::serialize_on`]).
    Write,
}

/// One transaction's primitive reads and writes. Times are ms since the Unix epoch.
pub(crate) trait Tx {
    /// Waits until no other transaction holds any of `keys` (names of what a flow counts or
    /// changes: an identifier, an owner, a send scope, a client), and holds them until this one
    /// ends. Only in a write transaction.
    async fn serialize_on(&mut self, keys: &[String]) -> Result<(), StoreError>;

    // ---- clients ----

    /// Stores a new client with its token hash.
    async fn insert_client(
        &mut self,
        id: &str,
        token_hash: &[u8],
        now: i64,
    ) -> Result<(), StoreError>;
    /// The client with this id.
    async fn client(&mut self, id: &str) -> Result<Option<ClientRow>, StoreError>;
    /// The client whose token hashes to `token_hash`.
    async fn client_by_token(&mut self, token_hash: &[u8])
    -> Result<Option<ClientRow>, StoreError>;
    /// Makes `sign_up_id` the client's current sign-up.
    async fn set_client_sign_up(
        &mut self,
        client_id: &str,
        sign_up_id: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Makes `sign_in_id` the client's current sign-in.
    async fn set_client_sign_in(
        &mut self,
        client_id: &str,
        sign_in_id: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Sets the client's chosen session.
    async fn set_client_session(
        &mut self,
        client_id: &str,
        session_id: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Makes the client's newest session not ended or revoked its chosen one (none if it has
    /// none left).
    async fn choose_newest_session(&mut self, client_id: &str, now: i64) -> Result<(), StoreError>;
    /// Sets the client's chosen session and moves it to a new token.
    async fn rotate_client(
        &mut self,
        client_id: &str,
        session_id: &str,
        token_hash: &[u8],
        now: i64,
    ) -> Result<(), StoreError>;

    // ---- users ----

    /// The id of the user owning a verified identifier: the one kept under exactly
    /// `legacy_value` (a duplicate kept from before canonical keys, found only that way) if
    /// any, else the one whose canonical key is `key`.
    async fn user_id_by_identifier(
        &mut self,
        key: &str,
        legacy_value: &str,
    ) -> Result<Option<String>, StoreError>;
    /// A user with its identifiers (oldest first) and the latest lock on any of them.
    async fn user(&mut self, id: &str) -> Result<Option<UserRow>, StoreError>;
    /// Stores a new user.
    /// (`signed_in`: by a sign-up, which is its first sign-in; an import is not.)
    async fn insert_user(&mut self, id: &str, now: i64, signed_in: bool) -> Result<(), StoreError>;
    /// Stores a verified identifier of a user, as typed and under its canonical key;
    /// [`StoreError::IdentifierExists`] if another user has the key (the database's unique
    /// index decides between concurrent sign-ups). A refused
    /// insert leaves the transaction usable on both databases (no statement fails).
    async fn insert_identifier(
        &mut self,
        id: &str,
        user_id: &str,
        identifier: &Identifier,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Stores an identifier a user added, unverified: nobody's for sign-in, blocking nobody;
    /// [`StoreError::IdentifierExists`] if the user added its key already.
    async fn insert_unverified_identifier(
        &mut self,
        id: &str,
        user_id: &str,
        identifier: &Identifier,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Removes an identifier (verified or not) with its code and its messages not sent yet.
    async fn delete_identifier(&mut self, id: &str) -> Result<(), StoreError>;
    /// Sets the user's primary email and/or phone number (`None` leaves one as it is).
    async fn set_primary(
        &mut self,
        user_id: &str,
        email_id: Option<&str>,
        phone_id: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError>;
    /// The identifiers stored without a canonical key yet (from before keys existed), oldest
    /// first: (id, kind, value).
    async fn unkeyed_identifiers(&mut self) -> Result<Vec<(String, String, String)>, StoreError>;
    /// Whether an identifier holds `key` (with the uniqueness that comes with it).
    async fn identifier_key_taken(&mut self, key: &str) -> Result<bool, StoreError>;
    /// Sets an identifier's canonical key; with `legacy_exact`, the identifier is left out of
    /// the key's uniqueness and found only by its exact stored value.
    async fn set_identifier_key(
        &mut self,
        id: &str,
        key: &str,
        legacy_exact: bool,
    ) -> Result<(), StoreError>;
    /// Records a completed sign-in of the user; false (and nothing changes) when the user is
    /// banned.
    async fn set_user_signed_in(&mut self, user_id: &str, now: i64) -> Result<bool, StoreError>;

    // ---- sign-ups and sign-ins ----

    /// Stores a new sign-up (`missing_requirements`).
    async fn insert_sign_up(
        &mut self,
        id: &str,
        client_id: &str,
        identifier: &Identifier,
        now: i64,
        abandon_at: i64,
    ) -> Result<(), StoreError>;
    /// A sign-up with its current code.
    async fn sign_up(&mut self, id: &str) -> Result<Option<SignUpRow>, StoreError>;
    /// Marks a sign-up complete, with what it created.
    async fn complete_sign_up(
        &mut self,
        id: &str,
        user_id: &str,
        session_id: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Stores a new sign-in (`needs_first_factor`).
    async fn insert_sign_in(
        &mut self,
        id: &str,
        client_id: &str,
        identifier: &Identifier,
        user_id: &str,
        now: i64,
        abandon_at: i64,
    ) -> Result<(), StoreError>;
    /// Stores a new decoy sign-in (`needs_first_factor`): one of an identifier nobody has, with
    /// no user and the id of the factor it shows.
    async fn insert_decoy_sign_in(
        &mut self,
        id: &str,
        client_id: &str,
        identifier: &Identifier,
        factor_id: &str,
        now: i64,
        abandon_at: i64,
    ) -> Result<(), StoreError>;
    /// A sign-in with its current code (its `factors` left empty).
    async fn sign_in(&mut self, id: &str) -> Result<Option<SignInRow>, StoreError>;
    /// Marks a sign-in complete, with the session it created.
    async fn complete_sign_in(
        &mut self,
        id: &str,
        session_id: &str,
        now: i64,
    ) -> Result<(), StoreError>;

    // ---- codes, limits, lock-outs ----

    /// Stores the code `p` prepares, replacing any earlier one of its owner (pending, no
    /// attempts).
    async fn upsert_code(&mut self, p: &PrepareCode<'_>) -> Result<(), StoreError>;
    /// The stored hash and state of an owner's code.
    async fn code(&mut self, owner_id: &str) -> Result<Option<(Vec<u8>, StoredCode)>, StoreError>;
    /// An owner's code as it is shown (state, attempts, expiry, delivery), if it has one.
    async fn code_row(&mut self, owner_id: &str) -> Result<Option<CodeRow>, StoreError>;
    /// Sets the state and the attempt count of an owner's code.
    async fn set_code(
        &mut self,
        owner_id: &str,
        state: CodeState,
        attempts: u32,
    ) -> Result<(), StoreError>;
    /// Forgets the sends to `scope` at or before `before`.
    async fn prune_sends(&mut self, scope: &str, before: i64) -> Result<(), StoreError>;
    /// The times of the sends to `scope` still stored.
    async fn send_times(&mut self, scope: &str) -> Result<Vec<i64>, StoreError>;
    /// Records a send to `scope`.
    async fn insert_send(&mut self, scope: &str, at: i64) -> Result<(), StoreError>;
    /// The consecutive failures and lock of an identifier.
    async fn lockout(&mut self, identifier: &str) -> Result<Lockout, StoreError>;
    /// Stores the failures and lock of an identifier.
    async fn set_lockout(
        &mut self,
        identifier: &str,
        lockout: Lockout,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Forgets the failures of an identifier.
    async fn clear_lockout(&mut self, identifier: &str) -> Result<(), StoreError>;
    /// The end of the latest SMS-pumping block of a destination prefix, if it was ever blocked.
    async fn sms_blocked_until(&mut self, prefix: &str) -> Result<Option<i64>, StoreError>;
    /// Records an SMS-pumping block.
    async fn insert_fraud_block(&mut self, block: &FraudBlock) -> Result<(), StoreError>;
    /// The SMS-pumping blocks imposed at `since` or later, oldest first.
    async fn fraud_blocks(&mut self, since: i64) -> Result<Vec<FraudBlock>, StoreError>;

    // ---- sessions ----

    /// Stores a new active session.
    async fn insert_session(
        &mut self,
        id: &str,
        client_id: &str,
        user_id: &str,
        now: i64,
        abandon_at: i64,
    ) -> Result<(), StoreError>;
    /// A session of a client (any state).
    async fn session(
        &mut self,
        client_id: &str,
        session_id: &str,
    ) -> Result<Option<SessionRow>, StoreError>;
    /// The client's sessions not ended or revoked, oldest first.
    async fn active_sessions(&mut self, client_id: &str) -> Result<Vec<SessionRow>, StoreError>;
    /// Records activity on a session.
    async fn touch_session(
        &mut self,
        client_id: &str,
        session_id: &str,
        now: i64,
        activity: &Activity,
    ) -> Result<(), StoreError>;
    /// The user's sessions not ended or revoked, on every device, oldest first.
    async fn user_sessions(&mut self, user_id: &str) -> Result<Vec<SessionRow>, StoreError>;
    /// Revokes the active session `session_id` (the user, or the operator, ended it).
    /// False when it was not active (nothing changed).
    async fn revoke_session(&mut self, session_id: &str, now: i64) -> Result<bool, StoreError>;
    /// Removes the user and everything that names them: identifiers, sessions (every state),
    /// sign-ins and completed sign-ups with their codes, outbox messages to or about them, their
    /// lock-out counters, dev messages and webhook events already delivered (those still to go
    /// out are the app developer's, and go out). Clients keep existing, without the user's
    /// attempts.
    async fn delete_user(&mut self, user_id: &str) -> Result<(), StoreError>;
    /// Records that the session's user just proved again it was them (reverification).
    async fn set_session_verified(&mut self, session_id: &str, now: i64) -> Result<(), StoreError>;
    /// Ends the client's active session `session_id`, or all of them.
    async fn end_sessions(
        &mut self,
        client_id: &str,
        session_id: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError>;

    // ---- the delivery outbox ----

    /// Voids the messages of an owner not sent yet (wiping their codes).
    async fn supersede_outbox(&mut self, owner_id: &str, now: i64) -> Result<(), StoreError>;
    /// Queues a message.
    async fn insert_outbox(
        &mut self,
        owner_id: &str,
        message: &NewOutbox,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Claims the oldest due message (pending and due, or leased until `now` or before) for
    /// `lease_until`; two transactions never claim the same one.
    async fn claim_outbox(
        &mut self,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<OutboxJob>, StoreError>;
    /// Puts a claimed (`sending`) message back as pending for `next_attempt_at`.
    async fn retry_outbox(
        &mut self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Records how a message ended, wiping its code.
    async fn finish_outbox(
        &mut self,
        id: i64,
        now: i64,
        outcome: &OutboxOutcome,
    ) -> Result<(), StoreError>;
    /// Keeps a dev-mode message to the identifier whose canonical key is `key`.
    async fn insert_dev_message(
        &mut self,
        message: &otp_proto::dev::OutboxMessage,
        key: &str,
    ) -> Result<(), StoreError>;
    /// The latest dev-mode message to the identifier whose canonical key is `key`.
    async fn dev_message(
        &mut self,
        key: &str,
    ) -> Result<Option<otp_proto::dev::OutboxMessage>, StoreError>;

    // ---- housekeeping (each removes at most `limit` rows, so no statement runs long) ----

    /// Whether this transaction is the one janitor working now: another instance's janitor
    /// holding the same `name` makes it `false` at once (no waiting); released at the end of
    /// the transaction.
    async fn try_lead(&mut self, name: &str) -> Result<bool, StoreError>;
    /// Removes sessions ended or revoked at `before` or earlier, and active ones expired by then
    /// (past their absolute end, or idle for `idle_ms`); returns their ids.
    async fn delete_stale_sessions(
        &mut self,
        before: i64,
        idle_ms: i64,
        limit: u32,
    ) -> Result<Vec<String>, StoreError>;
    /// Clears the chosen session of the clients whose chosen session is one of `session_ids`.
    async fn forget_session_choices(&mut self, session_ids: &[String]) -> Result<(), StoreError>;
    /// Removes sign-ups abandoned at `now` or earlier (completed or not); returns their ids.
    async fn delete_expired_sign_ups(
        &mut self,
        now: i64,
        limit: u32,
    ) -> Result<Vec<String>, StoreError>;
    /// Removes sign-ins abandoned at `now` or earlier (completed or not); returns their ids.
    async fn delete_expired_sign_ins(
        &mut self,
        now: i64,
        limit: u32,
    ) -> Result<Vec<String>, StoreError>;
    /// Removes the codes of these owners; returns how many.
    async fn delete_codes(&mut self, owner_ids: &[String]) -> Result<u64, StoreError>;
    /// Removes clients unchanged since `before` that no session, sign-up or sign-in refers to.
    async fn delete_idle_clients(&mut self, before: i64, limit: u32) -> Result<u64, StoreError>;
    /// Removes send (and create) events at `before` or earlier, of any scope.
    async fn delete_old_sends(&mut self, before: i64, limit: u32) -> Result<u64, StoreError>;
    /// Removes outbox messages finished (sent, failed, superseded) at `before` or earlier,
    /// dev-mode messages sent by then, and webhook events finished by then.
    async fn delete_finished_messages(
        &mut self,
        before: i64,
        limit: u32,
    ) -> Result<u64, StoreError>;
    /// Removes lock-out rows that hold nothing any more: no failures counted, lock over at `now`.
    async fn delete_spent_lockouts(
        &mut self,
        now: i64,
        forgotten_before: i64,
        limit: u32,
    ) -> Result<u64, StoreError>;
    /// Removes SMS-pumping blocks that ended at `before` or earlier.
    async fn delete_old_fraud_blocks(&mut self, before: i64, limit: u32)
    -> Result<u64, StoreError>;

    // ---- the Backend API ----

    /// The ids of the users `filter` matches, in `order`, `limit` of them after skipping
    /// `offset`.
    async fn user_ids(
        &mut self,
        filter: &UserFilter,
        order: UserOrder,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<String>, StoreError>;
    /// How many users `filter` matches.
    async fn count_users(&mut self, filter: &UserFilter) -> Result<u64, StoreError>;
    /// Bans the user (`Some(when)`) or lifts the ban (`None`).
    async fn set_banned(
        &mut self,
        user_id: &str,
        banned_at: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError>;
    /// A session by its id alone (any state, on any device).
    async fn session_by_id(&mut self, id: &str) -> Result<Option<SessionRow>, StoreError>;
    /// The sessions (any state) of a user and/or of a client, newest first.
    async fn sessions_of(
        &mut self,
        user_id: Option<&str>,
        client_id: Option<&str>,
    ) -> Result<Vec<SessionRow>, StoreError>;
    /// Stores a new secret key under the hash of the key.
    async fn insert_api_key(
        &mut self,
        key: &ApiKeyRow,
        token_hash: &[u8],
    ) -> Result<(), StoreError>;
    /// Every secret key, revoked ones too, oldest first.
    async fn api_keys(&mut self) -> Result<Vec<ApiKeyRow>, StoreError>;
    /// The secret key whose hash is `token_hash`.
    async fn api_key(&mut self, token_hash: &[u8]) -> Result<Option<ApiKeyRow>, StoreError>;
    /// Revokes the keys not revoked yet whose id or name is `id_or_name`; returns how many.
    async fn revoke_api_key(&mut self, id_or_name: &str, now: i64) -> Result<u64, StoreError>;

    // ---- webhooks ----

    /// Queues a webhook event for one endpoint.
    async fn insert_webhook(&mut self, event: &NewWebhook<'_>, now: i64) -> Result<(), StoreError>;
    /// Claims the oldest due webhook event whose user has no older one still to deliver to the
    /// same endpoint (events of a user go out in order), for `lease_until`.
    async fn claim_webhook(
        &mut self,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<WebhookJob>, StoreError>;
    /// Puts a claimed event back as pending for `next_attempt_at`, and the user's later events
    /// to the same endpoint not before it.
    async fn retry_webhook(
        &mut self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Records that an event was delivered (`error` None) or given up.
    async fn finish_webhook(
        &mut self,
        id: i64,
        now: i64,
        error: Option<&str>,
    ) -> Result<(), StoreError>;
    /// How many outbox messages wait, and when the oldest of them was written.
    async fn outbox_backlog(&mut self) -> Result<(u64, Option<i64>), StoreError>;
    /// How many events wait, and when the oldest of them was written.
    async fn webhook_backlog(&mut self) -> Result<(u64, Option<i64>), StoreError>;
    /// The endpoints made with `otp-server webhooks create`, oldest first.
    async fn webhook_endpoints(&mut self) -> Result<Vec<WebhookEndpointRow>, StoreError>;
    /// Stores a new endpoint.
    async fn insert_webhook_endpoint(&mut self, row: &WebhookEndpointRow)
    -> Result<(), StoreError>;
    /// Removes an endpoint; returns how many.
    async fn delete_webhook_endpoint(&mut self, id: &str) -> Result<u64, StoreError>;

    // ---- keys ----

    /// Stores a server secret under `name` unless one is stored already.
    async fn insert_secret(
        &mut self,
        name: &str,
        secret: &[u8],
        now: i64,
    ) -> Result<(), StoreError>;
    /// The server secret stored under `name`.
    async fn secret(&mut self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// The session-token signing keys, oldest first.
    async fn jwt_keys(&mut self) -> Result<Vec<JwtKeyRow>, StoreError>;
    /// Revokes the signing keys older than `generation`; returns how many.
    async fn revoke_jwt_keys_before(
        &mut self,
        generation: i64,
        now: i64,
    ) -> Result<u64, StoreError>;
    /// Stores a signing key unless its generation exists.
    async fn insert_jwt_key(&mut self, key: &JwtKeyRow) -> Result<(), StoreError>;
}
