//! Persistence: the [`Store`] interface, the rows it returns, and one implementation per
//! database: `sqlite.rs` (embedded, the default) and `postgres.rs` (several instances on one
//! database). Each backend's SQL lives in its own file; the rules they apply are the pure
//! functions of [`crate::otp`] and [`crate::rate_limit`]. Every operation that checks then changes
//! (limits, attempts, completion) runs in one transaction that serializes the requests it must
//! (`BEGIN IMMEDIATE` on SQLite; row and advisory locks on PostgreSQL), so the policy holds under
//! concurrency and across instances.

mod postgres;
mod sqlite;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use std::sync::Arc;

/// The store the server uses, behind the interface.
pub type SharedStore = Arc<dyn Store>;

/// Opens the database named by `url` (`sqlite://…` or `postgres://…`) and applies its migrations.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<SharedStore> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url, max_connections).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else {
        anyhow::bail!("unsupported database URL {url:?}: use sqlite://… or postgres://…")
    }
}

/// Everything the server keeps, as atomic operations.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Applies the migrations that have not run yet.
    async fn migrate(&self) -> anyhow::Result<()>;
    /// Whether the database answers (for `/healthz`).
    async fn ping(&self) -> anyhow::Result<()>;

    /// Stores a new client with its token hash.
    async fn create_client(
        &self,
        id: &str,
        token_hash: &[u8],
        now: i64,
    ) -> Result<ClientRow, StoreError>;
    /// The client whose token hashes to `token_hash`.
    async fn client_by_token(&self, token_hash: &[u8]) -> Result<Option<ClientRow>, StoreError>;
    /// The client with everything needed to render it.
    async fn client_state(&self, client_id: &str) -> Result<ClientState, StoreError>;

    /// Stores a new sign-up and makes it the client's current one (storing the client first if
    /// it is new); refuses an identifier that already belongs to a user.
    async fn create_sign_up(
        &self,
        id: &str,
        client: ClientKey<'_>,
        identifier: &Identifier,
        now: i64,
        abandon_at: i64,
    ) -> Result<(), StoreError>;
    /// A sign-up by id.
    async fn sign_up(&self, id: &str) -> Result<Option<SignUpRow>, StoreError>;
    /// The user owning a verified identifier.
    async fn user_by_identifier(
        &self,
        identifier: &Identifier,
    ) -> Result<Option<UserRow>, StoreError>;
    /// A user by id.
    async fn user(&self, id: &str) -> Result<Option<UserRow>, StoreError>;
    /// Stores a new sign-in and makes it the client's current one (storing the client first if
    /// it is new).
    async fn create_sign_in(
        &self,
        id: &str,
        client: ClientKey<'_>,
        identifier: &Identifier,
        user_id: &str,
        now: i64,
        abandon_at: i64,
    ) -> Result<(), StoreError>;
    /// A sign-in by id.
    async fn sign_in(&self, id: &str) -> Result<Option<SignInRow>, StoreError>;

    /// Checks the lock and the send limits, then stores the code (replacing any earlier one),
    /// records the send, and queues its message, all in one transaction.
    async fn prepare_code(&self, p: PrepareCode<'_>) -> Result<(), StoreError>;
    /// Judges an attempt against the stored code and records the outcome: a wrong code counts
    /// against the code and the identifier; a right one marks the code used and creates what
    /// `a.completion` says, in the same transaction.
    async fn attempt_code(
        &self,
        a: AttemptCode<'_>,
        matches: &(dyn for<'m> Fn(&'m [u8]) -> bool + Send + Sync),
    ) -> Result<AttemptOutcome, StoreError>;

    /// A session of a client (any state).
    async fn session(
        &self,
        client_id: &str,
        session_id: &str,
    ) -> Result<Option<SessionRow>, StoreError>;
    /// Records activity on a session; with `make_last_active`, also makes it the client's
    /// chosen session (Clerk's `touch`).
    async fn touch_session(
        &self,
        client_id: &str,
        session_id: &str,
        now: i64,
        make_last_active: bool,
    ) -> Result<(), StoreError>;
    /// Ends one session of a client, or all of them when `session_id` is `None`.
    async fn end_sessions(
        &self,
        client_id: &str,
        session_id: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError>;

    /// Claims the oldest due message (pending and due, or leased by a worker that did not
    /// finish), reserving it for `lease_ms`. Two workers never claim the same message.
    async fn claim_outbox(&self, now: i64, lease_ms: i64) -> Result<Option<OutboxJob>, StoreError>;
    /// Schedules another try of a claimed message.
    async fn outbox_retry(
        &self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Records how a claimed message ended, and wipes its sealed code.
    async fn outbox_finish(
        &self,
        id: i64,
        now: i64,
        outcome: OutboxOutcome,
    ) -> Result<(), StoreError>;
    /// The latest dev-mode message to `to`.
    async fn dev_outbox_latest(
        &self,
        to: &str,
    ) -> Result<Option<otp_proto::dev::OutboxMessage>, StoreError>;

    /// Stores `candidate` as the code HMAC key unless one is stored already; returns the stored one.
    async fn hmac_key(&self, candidate: &[u8; 32], now: i64) -> Result<[u8; 32], StoreError>;
    /// The session-token signing keys, oldest first.
    async fn jwt_keys(&self) -> Result<Vec<JwtKeyRow>, StoreError>;
    /// Adds a signing key as `generation`, unless another instance added that generation first.
    async fn add_jwt_key(&self, generation: i64, pem: &str, now: i64) -> Result<(), StoreError>;
}

/// A session-token signing key as stored.
#[derive(Clone)]
pub struct JwtKeyRow {
    /// 1, 2, …: the newest signs.
    pub generation: i64,
    /// The Ed25519 private key, PKCS#8 PEM.
    pub pem: String,
    /// When it was created (ms).
    pub created_at: i64,
}

impl std::fmt::Debug for JwtKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeyRow")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// The wire name of a channel in the database.
pub(crate) fn channel_name(channel: otp_proto::dev::Channel) -> &'static str {
    match channel {
        otp_proto::dev::Channel::Sms => "sms",
        otp_proto::dev::Channel::Email => "email",
    }
}

/// The channel of a stored name.
pub(crate) fn channel_of(name: &str) -> otp_proto::dev::Channel {
    if name == "email" {
        otp_proto::dev::Channel::Email
    } else {
        otp_proto::dev::Channel::Sms
    }
}

/// The state of a stored code status.
pub(crate) fn code_state(status: &str) -> Result<CodeState, StoreError> {
    Ok(match status {
        "pending" => CodeState::Pending,
        "verified" => CodeState::Verified,
        "failed" => CodeState::Failed,
        "expired" => CodeState::Expired,
        other => return Err(anyhow::anyhow!("stored code status {other}").into()),
    })
}

/// The delivery status of a stored outbox status.
pub(crate) fn delivery_status(status: &str) -> otp_proto::DeliveryStatus {
    match status {
        "sent" => otp_proto::DeliveryStatus::Sent,
        "failed" => otp_proto::DeliveryStatus::Failed,
        _ => otp_proto::DeliveryStatus::Pending,
    }
}

/// The stored status of a session.
pub(crate) fn session_status(status: &str) -> StoredSessionStatus {
    match status {
        "active" => StoredSessionStatus::Active,
        "revoked" => StoredSessionStatus::Revoked,
        _ => StoredSessionStatus::Ended,
    }
}

use crate::domain::{Identifier, IdentifierKind};
use crate::otp::{CodeState, Judgement};
use crate::rate_limit::SendLimits;
use otp_proto::{SignInStatus, SignUpStatus, Strategy};

/// Why a store operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The identifier already belongs to a user.
    #[error("the identifier already belongs to a user")]
    IdentifierExists,
    /// The identifier is locked after too many wrong codes.
    #[error("the identifier is locked for {retry_after_secs} s")]
    Locked {
        /// Seconds left on the lock.
        retry_after_secs: u64,
    },
    /// A send limit was hit.
    #[error("send limit reached; retry in {retry_after_secs} s")]
    TooManyRequests {
        /// Seconds until a send would be allowed.
        retry_after_secs: u64,
    },
    /// No code was prepared for this attempt.
    #[error("no code prepared")]
    NoCode,
    /// Anything else: the database failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(anyhow::Error::new(e).context("database"))
    }
}

/// A device, as stored.
#[derive(Debug, Clone)]
pub struct ClientRow {
    /// `client_…`.
    pub id: String,
    /// Its current sign-up.
    pub sign_up_id: Option<String>,
    /// Its current sign-in.
    pub sign_in_id: Option<String>,
    /// The session it chose last.
    pub last_active_session_id: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// The device a sign-up or sign-in is created for: stored already, or new and stored in the same
/// transaction, so that a request that fails leaves no client behind and a flow's first request
/// commits once.
#[derive(Debug, Clone, Copy)]
pub struct ClientKey<'a> {
    /// `client_…`.
    pub id: &'a str,
    /// For a client not stored yet: the hash of its token.
    pub new_token_hash: Option<&'a [u8]>,
}

/// The current code of a sign-up or sign-in (the hash stays inside the store).
#[derive(Debug, Clone)]
pub struct CodeRow {
    /// How it was sent.
    pub strategy: Strategy,
    /// Where it was sent (normalized phone number or email).
    pub sent_to: String,
    /// Wrong attempts so far.
    pub attempts: u32,
    /// Its state.
    pub state: CodeState,
    /// Expiry.
    pub expire_at: i64,
    /// Where its message stands, when it went through the outbox.
    pub delivery: Option<otp_proto::DeliveryStatus>,
}

/// A sign-up attempt.
#[derive(Debug, Clone)]
pub struct SignUpRow {
    /// `sua_…`.
    pub id: String,
    /// The device that owns it.
    pub client_id: String,
    /// What is being signed up.
    pub identifier: Identifier,
    /// `missing_requirements` or `complete` (abandonment is derived from `abandon_at`).
    pub status: SignUpStatus,
    /// Set on completion.
    pub created_user_id: Option<String>,
    /// Set on completion.
    pub created_session_id: Option<String>,
    /// Abandoned after this time if not complete.
    pub abandon_at: i64,
    /// Its current code.
    pub code: Option<CodeRow>,
}

/// A sign-in attempt.
#[derive(Debug, Clone)]
pub struct SignInRow {
    /// `sia_…`.
    pub id: String,
    /// The device that owns it.
    pub client_id: String,
    /// The identifier given, normalized.
    pub identifier: Identifier,
    /// The user it signs in.
    pub user_id: String,
    /// `needs_first_factor` or `complete`.
    pub status: SignInStatus,
    /// Set on completion.
    pub created_session_id: Option<String>,
    /// Abandoned after this time if not complete.
    pub abandon_at: i64,
    /// Its current code.
    pub code: Option<CodeRow>,
    /// The user's verified identifiers: the factors a code can be sent to.
    pub factors: Vec<IdentifierRow>,
}

/// A verified phone number or email of a user.
#[derive(Debug, Clone)]
pub struct IdentifierRow {
    /// `idn_…`.
    pub id: String,
    /// Phone or email.
    pub kind: IdentifierKind,
    /// The normalized value.
    pub value: String,
    /// Creation time.
    pub created_at: i64,
}

/// A user.
#[derive(Debug, Clone)]
pub struct UserRow {
    /// `user_…`.
    pub id: String,
    /// Last completed sign-in.
    pub last_sign_in_at: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// Verified identifiers, oldest first.
    pub identifiers: Vec<IdentifierRow>,
    /// The latest lock on any of its identifiers.
    pub locked_until: Option<i64>,
}

/// Stored session states; `expired` is derived from the times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredSessionStatus {
    /// Not ended or revoked.
    Active,
    /// Signed out.
    Ended,
    /// Revoked by the server.
    Revoked,
}

/// A session.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// `sess_…`.
    pub id: String,
    /// The device it lives on.
    pub client_id: String,
    /// Who is signed in.
    pub user_id: String,
    /// Its stored state.
    pub status: StoredSessionStatus,
    /// Last touch or token.
    pub last_active_at: i64,
    /// Absolute end.
    pub abandon_at: i64,
    /// Sign-in time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

impl SessionRow {
    /// When the session expires if nothing touches it: idle timeout, capped by the absolute end.
    pub fn expire_at(&self, idle_ms: i64) -> i64 {
        (self.last_active_at + idle_ms).min(self.abandon_at)
    }

    /// Whether it is signed in at `now`.
    pub fn is_active(&self, now: i64, idle_ms: i64) -> bool {
        self.status == StoredSessionStatus::Active && now < self.expire_at(idle_ms)
    }
}

/// Everything needed to render a client.
#[derive(Debug, Clone)]
pub struct ClientState {
    /// The device.
    pub client: ClientRow,
    /// Its sessions not ended or revoked (possibly expired), each with its user.
    pub sessions: Vec<(SessionRow, UserRow)>,
    /// Its current sign-up.
    pub sign_up: Option<SignUpRow>,
    /// Its current sign-in.
    pub sign_in: Option<SignInRow>,
}

/// A code to store and count against the send limits.
#[derive(Debug)]
pub struct PrepareCode<'a> {
    /// The sign-up or sign-in it belongs to.
    pub owner_id: &'a str,
    /// How it is sent.
    pub strategy: Strategy,
    /// Where it is sent.
    pub identifier: &'a Identifier,
    /// With a sign-in: which of the user's identifiers.
    pub identifier_id: Option<&'a str>,
    /// Its keyed hash.
    pub mac: Vec<u8>,
    /// Its expiry.
    pub expire_at: i64,
    /// Now.
    pub now: i64,
    /// The send limits to check and count: scope (`to:…`, `ip:…`, `sms:cc:1`, `sms:all`) and limit.
    pub limits: Vec<(String, SendLimits)>,
    /// The message for the delivery worker, written in the same transaction.
    pub outbox: Option<NewOutbox>,
    /// Dev mode: the message to keep in the dev outbox, in the same transaction.
    pub dev_message: Option<&'a otp_proto::dev::OutboxMessage>,
}

/// A message for the outbox.
#[derive(Debug)]
pub struct NewOutbox {
    /// SMS or email.
    pub channel: otp_proto::dev::Channel,
    /// Where it goes.
    pub recipient: String,
    /// The user's language.
    pub locale: Option<String>,
    /// The sealed code.
    pub payload: Vec<u8>,
    /// Stop retrying after this time.
    pub deadline_at: i64,
}

/// A message claimed by the delivery worker.
#[derive(Debug)]
pub struct OutboxJob {
    /// Row id.
    pub id: i64,
    /// The sign-up or sign-in (the sealing context).
    pub owner_id: String,
    /// SMS or email.
    pub channel: otp_proto::dev::Channel,
    /// Where it goes.
    pub recipient: String,
    /// The user's language.
    pub locale: Option<String>,
    /// The sealed code (wiped once the message is done).
    pub payload: Option<Vec<u8>>,
    /// Sends tried so far.
    pub attempts: u32,
    /// Stop retrying after this time.
    pub deadline_at: i64,
}

/// How a message ended.
#[derive(Debug)]
pub enum OutboxOutcome {
    /// The provider accepted it.
    Sent {
        /// The provider's id of the message.
        provider_id: Option<String>,
    },
    /// It will never be sent.
    Failed {
        /// Why, for operators.
        error: String,
    },
}

/// An attempt to check, and what to create if it is right.
#[derive(Debug)]
pub struct AttemptCode<'a> {
    /// The sign-up or sign-in it belongs to.
    pub owner_id: &'a str,
    /// The identifier the code was sent to (for the lock-out).
    pub identifier: &'a Identifier,
    /// Now.
    pub now: i64,
    /// Wrong codes allowed per code.
    pub max_attempts: u32,
    /// Consecutive failures before a lock.
    pub lockout_threshold: u32,
    /// Lock duration.
    pub lockout_ms: i64,
    /// What a correct code creates.
    pub completion: Completion,
}

/// What a correct code creates: a session, and for a sign-up first the user.
#[derive(Debug)]
pub struct Completion {
    /// The device.
    pub client_id: String,
    /// The new session's id.
    pub session_id: String,
    /// The new session's absolute end.
    pub session_abandon_at: i64,
    /// The device's next client token hash: the token changes when a session starts, so a
    /// token seen before sign-in is worth nothing after it.
    pub new_token_hash: Vec<u8>,
    /// Sign-up or sign-in specifics.
    pub kind: CompletionKind,
}

/// The flow-specific half of a [`Completion`].
#[derive(Debug)]
pub enum CompletionKind {
    /// Create a user with this identifier.
    SignUp {
        /// The new user's id.
        user_id: String,
        /// The new identifier's id.
        identifier_id: String,
    },
    /// Sign in an existing user.
    SignIn {
        /// The user.
        user_id: String,
    },
}

/// What an attempt came to, after it was recorded.
pub type AttemptOutcome = Judgement;
