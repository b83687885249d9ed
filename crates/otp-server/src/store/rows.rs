//! What the store takes and returns: the rows it loads, the arguments of its operations, and the
//! mapping between stored strings and their types that both databases share.

use crate::domain::{Identifier, IdentifierKind};
use crate::otp::{CodeState, Judgement};
use crate::rate_limit::{PumpingRule, SendLimits};
use otp_proto::{SignInStatus, SignUpStatus, Strategy};

/// A session-token signing key as stored.
#[derive(Clone)]
pub struct JwtKeyRow {
    /// 1, 2, …: the newest signs.
    pub generation: i64,
    /// The private key, PKCS#8 PEM.
    pub pem: String,
    /// What it signs with: `EdDSA` (Ed25519) or `RS256` (RSA).
    pub algorithm: String,
    /// When the operator revoked it: it then neither signs nor is published.
    pub revoked_at: Option<i64>,
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

/// The stored status of a code state.
pub(crate) fn code_status_name(state: CodeState) -> &'static str {
    match state {
        CodeState::Pending => "pending",
        CodeState::Verified => "verified",
        CodeState::Failed => "failed",
        CodeState::Expired => "expired",
    }
}

/// The kind of a stored identifier kind.
pub(crate) fn identifier_kind(kind: &str) -> IdentifierKind {
    if kind == "email" {
        IdentifierKind::Email
    } else {
        IdentifierKind::Phone
    }
}

/// A sign-in's stored identifier (sign-ins store the value only: an email has an `@`, a phone
/// number never does).
pub(crate) fn sign_in_identifier(value: String) -> Identifier {
    let kind = if value.contains('@') {
        "email"
    } else {
        "phone"
    };
    Identifier::from_stored(kind, value)
}

/// The status of a stored sign-up status.
pub(crate) fn sign_up_status(status: &str) -> SignUpStatus {
    if status == "complete" {
        SignUpStatus::Complete
    } else {
        SignUpStatus::MissingRequirements
    }
}

/// The status of a stored sign-in status.
pub(crate) fn sign_in_status(status: &str) -> SignInStatus {
    if status == "complete" {
        SignInStatus::Complete
    } else {
        SignInStatus::NeedsFirstFactor
    }
}

/// The code of a stored strategy.
pub(crate) fn strategy(name: &str) -> Result<Strategy, StoreError> {
    Ok(Strategy::parse(name).ok_or_else(|| anyhow::anyhow!("stored strategy {name}"))?)
}

impl OutboxOutcome {
    /// The stored status, provider id and error of the outcome.
    pub(crate) fn columns(&self) -> (&'static str, Option<&str>, Option<&str>) {
        match self {
            Self::Sent { provider_id } => ("sent", provider_id.as_deref(), None),
            Self::Failed { error } => ("failed", None, Some(error)),
        }
    }
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
    /// The user it signs in; `None` for a decoy (enumeration protection: the identifier has no
    /// account, and the sign-in can never complete).
    pub user_id: Option<String>,
    /// A decoy's factor id, the one it shows for the identifier typed (see
    /// [`super::Store::create_sign_in_or_decoy`]).
    pub decoy_factor_id: Option<String>,
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
    /// Whether its owner typed a code sent to it (only verified identifiers sign in).
    pub verified: bool,
}

impl IdentifierRow {
    /// The phone number or email as stored, with the key it is matched and limited by.
    pub fn identifier(&self) -> Identifier {
        Identifier::from_stored(self.kind.as_str(), self.value.clone())
    }
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
    /// Identifiers, oldest first: the verified ones, then those added and not verified yet.
    pub identifiers: Vec<IdentifierRow>,
    /// The email the user chose as primary (if it is still theirs and verified).
    pub primary_email_id: Option<String>,
    /// The phone number the user chose as primary (if it is still theirs and verified).
    pub primary_phone_id: Option<String>,
    /// The latest lock on any of its identifiers.
    pub locked_until: Option<i64>,
    /// When the operator banned the user (a banned user cannot sign in).
    pub banned_at: Option<i64>,
}

/// A Backend API secret key as listed (its hash never leaves the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// `ak_…`.
    pub id: String,
    /// What the operator called it.
    pub name: String,
    /// The key's last characters, to tell keys apart in a list.
    pub hint: String,
    /// Creation time.
    pub created_at: i64,
    /// When it was revoked; a revoked key is refused.
    pub revoked_at: Option<i64>,
}

/// Which users a Backend API list or count is about: those that match every filter given.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// A `LIKE` pattern (lowercase, `\`-escaped, `%` around) that the user id or one of their
    /// verified identifiers contains.
    pub contains: Option<String>,
    /// A `LIKE` pattern of the digits a phone number contains (a query typed as a number).
    pub digits: Option<String>,
    /// The user is one of these ids (no filter when empty).
    pub user_ids: Vec<String>,
    /// The user has a verified identifier under one of these canonical keys (no filter when
    /// empty).
    pub identifier_keys: Vec<String>,
}

impl UserFilter {
    /// The users whose id, phone number or email address contains `query` (ignoring case); a
    /// query typed as a phone number (`+1 (555) 010-0100`) also finds its digits in E.164.
    pub fn search(query: &str) -> Self {
        let escaped: String = query
            .trim()
            .to_lowercase()
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let digits: String = query.chars().filter(char::is_ascii_digit).collect();
        let phone_like = query
            .trim()
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        Self {
            contains: Some(format!("%{escaped}%")),
            digits: (phone_like && digits.len() >= 3).then(|| format!("%{digits}%")),
            ..Self::default()
        }
    }
}

/// The order of a Backend API user list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UserOrder {
    /// Newest first (Clerk's default, `-created_at`).
    #[default]
    NewestFirst,
    /// Oldest first (`+created_at`).
    OldestFirst,
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
    /// Where it was last used from.
    pub activity: Activity,
    /// The last time its user typed a code to prove it was them: its sign-in, or a later
    /// reverification.
    pub verified_at: i64,
}

/// Where a session was last used from: what the server saw of the request that made it the
/// active session or asked for its token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    /// The client's address (through trusted proxies).
    pub ip: Option<String>,
    /// The `User-Agent` header, at most 256 characters.
    pub user_agent: Option<String>,
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
    /// For a text message sent through a provider: the SMS-pumping check of its destination
    /// prefix.
    pub pumping: Option<PumpingGuard>,
}

/// The SMS-pumping check of one text message: its destination prefix is refused while blocked,
/// blocked when its codes of the last hour look pumped, and capped per hour.
#[derive(Debug, Clone)]
pub struct PumpingGuard {
    /// The destination prefix (`+1 202`: [`crate::rate_limit::sms_prefix`]).
    pub prefix: String,
    /// When sends to the prefix look pumped.
    pub rule: PumpingRule,
    /// How long a block lasts (ms).
    pub block_ms: i64,
    /// Text messages to the prefix in any hour, whatever its verification rate.
    pub per_hour: u32,
}

/// What preparing a code came to, when no limit refused it outright.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared {
    /// The code is stored and its message queued.
    Sent,
    /// Nothing was sent: the destination prefix is blocked as SMS pumping.
    FraudBlocked {
        /// Seconds left on the block.
        retry_after_secs: u64,
        /// Set when this very send tipped the prefix into a block (which is committed, while
        /// the send is not): the sends and verified codes that judged it, for the log.
        new_block: Option<FraudBlock>,
    },
}

/// A destination prefix blocked as SMS pumping (one row per block, the fraud-block counter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FraudBlock {
    /// The destination prefix (`+1 202`), never a whole number.
    pub prefix: String,
    /// When it was blocked.
    pub blocked_at: i64,
    /// Until when.
    pub blocked_until: i64,
    /// Codes sent to the prefix in the hour before.
    pub sends: u32,
    /// Of those, how many were typed back.
    pub verified: u32,
}

/// What the janitor keeps, and for how long (ms). Whatever a limit still reads (the send
/// events of the last hour) or a user still holds (a live session, an unfinished sign-up or
/// sign-in, a message not delivered yet) is always kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Ended, revoked or expired sessions, after they ended.
    pub ended_sessions_ms: i64,
    /// Clients with nothing left (no session, sign-up or sign-in), after their last change.
    pub idle_clients_ms: i64,
    /// Finished outbox messages (and dev-mode messages), after they finished.
    pub outbox_ms: i64,
    /// A session untouched this long has expired (the policy's idle timeout).
    pub session_idle_ms: i64,
    /// An identifier's count of wrong codes, when no wrong code has come for this long and it
    /// is not locked (so that one wrong guess at each of many identifiers leaves nothing
    /// behind).
    pub failures_ms: i64,
}

/// Rows the janitor removed, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Clients with nothing left, idle past retention.
    pub clients: u64,
    /// Sign-ups past their abandonment time (completed or not), with their codes.
    pub sign_ups: u64,
    /// Sign-ins past their abandonment time, with their codes.
    pub sign_ins: u64,
    /// Sessions ended or expired longer ago than retention.
    pub sessions: u64,
    /// Send and create events older than any window that reads them.
    pub send_events: u64,
    /// Finished outbox and dev-outbox messages past retention.
    pub messages: u64,
    /// Other rows nothing reads any more: codes without their sign-up or sign-in, spent
    /// lock-outs, fraud blocks long over.
    pub other: u64,
}

impl Swept {
    /// All rows removed.
    pub fn total(&self) -> u64 {
        self.clients
            + self.sign_ups
            + self.sign_ins
            + self.sessions
            + self.send_events
            + self.messages
            + self.other
    }

    /// Adds another batch's counts.
    pub fn add(&mut self, other: Self) {
        self.clients += other.clients;
        self.sign_ups += other.sign_ups;
        self.sign_ins += other.sign_ins;
        self.sessions += other.sessions;
        self.send_events += other.send_events;
        self.messages += other.messages;
        self.other += other.other;
    }
}

/// A message for the outbox.
#[derive(Debug, Clone)]
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

/// Messages queued with a change in the same transaction (the notices to a user's identifiers
/// that one was added or removed): each outbox message with its owner id (its sealing
/// context), and in dev mode each message kept for the dev outbox with its recipient's key.
#[derive(Debug, Clone, Default)]
pub struct Notices {
    /// For the delivery worker.
    pub outbox: Vec<(String, NewOutbox)>,
    /// For `GET /v1/dev/outbox` (dev mode).
    pub dev: Vec<(otp_proto::dev::OutboxMessage, String)>,
    /// Whether they were made for the change (even if nobody is to be told).
    pub made: bool,
}

impl Notices {
    /// Whether none were made for the change.
    pub fn is_empty(&self) -> bool {
        !self.made
    }
}

/// A webhook endpoint made with `otp-server webhooks create`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookEndpointRow {
    /// `ep_…`.
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// The signing secret, `whsec_` and base64.
    pub secret: String,
    /// Creation time.
    pub created_at: i64,
}

impl std::fmt::Debug for WebhookEndpointRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpointRow")
            .field("id", &self.id)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The id of the endpoint of `--webhook-url` in the webhook outbox.
pub const CONFIGURED_ENDPOINT: &str = "configured";

/// How a change becomes a webhook event, given to the store by the layer that knows Clerk's
/// objects (the store writes events; it does not shape them).
pub trait RenderEvent: Send + Sync {
    /// A user as the Backend API shows it.
    fn user(&self, user: &UserRow, now: i64) -> serde_json::Value;
    /// A session as the Backend API shows it.
    fn session(&self, session: &SessionRow, now: i64) -> serde_json::Value;
}

/// What the store needs to write webhook events in the same transaction as the changes they
/// tell of: the endpoints to fan out to (none: nothing is written), how rows become objects, the
/// instance id of the payloads, and where message ids are drawn from.
#[derive(Clone, Default)]
pub struct Webhooks {
    /// The endpoint ids events go to; shared with whoever reloads them.
    pub endpoints: std::sync::Arc<std::sync::RwLock<Vec<String>>>,
    /// Shapes the objects of the events.
    pub render: Option<std::sync::Arc<dyn RenderEvent>>,
    /// `ins_…`, in every event.
    pub instance_id: String,
    /// How long an event is retried (ms).
    pub deadline_ms: i64,
    /// Draws message ids.
    pub random: crate::random::Random,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("instance_id", &self.instance_id)
            .finish_non_exhaustive()
    }
}

/// A change a webhook tells of.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event<'a> {
    /// `user.created`, of this user id.
    UserCreated(&'a str),
    /// `user.updated`.
    UserUpdated(&'a str),
    /// `user.deleted`.
    UserDeleted(&'a str),
    /// `session.created`, of this session id.
    SessionCreated(&'a str),
    /// `session.ended`: signed out.
    SessionEnded(&'a str),
    /// `session.revoked`: by the user on another device, or the operator.
    SessionRevoked(&'a str),
}

/// A webhook event to queue for one endpoint.
#[derive(Debug)]
pub struct NewWebhook<'a> {
    /// `msg_…`: the `svix-id`, the same for every endpoint and attempt.
    pub msg_id: &'a str,
    /// The endpoint.
    pub endpoint_id: &'a str,
    /// Whose event it is (events of a user go out in order).
    pub user_id: &'a str,
    /// The event's JSON.
    pub body: &'a str,
    /// Retried until then (ms).
    pub deadline_at: i64,
}

/// A webhook event claimed by the webhook worker.
#[derive(Debug)]
pub struct WebhookJob {
    /// Row id.
    pub id: i64,
    /// The `svix-id`.
    pub msg_id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// The event's JSON, as it was written.
    pub body: String,
    /// Attempts so far.
    pub attempts: u32,
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
    /// For a code sent by text message through a provider: its destination prefix, which a
    /// correct code counts as verified for SMS-pumping detection.
    pub sms_prefix: Option<String>,
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
    /// Verify an identifier the user added ([`Store::add_identifier`]): it becomes theirs,
    /// unless another user verified it first ([`StoreError::IdentifierExists`]). No session.
    AddIdentifier {
        /// The user who added it.
        user_id: String,
        /// The identifier's id (kept when it becomes verified).
        identifier_id: String,
        /// What the user's other identifiers are told.
        notices: Notices,
    },
    /// Reverify a session: its user proved again it was them. No new session.
    Reverify {
        /// The session.
        session_id: String,
    },
    /// Nothing: a decoy (a sign-in of an unknown identifier, a sign-up of a taken one, under
    /// enumeration protection). Its attempts are counted and locked out like any other, and no
    /// code is ever right.
    Decoy,
}

/// What an attempt came to, after it was recorded.
pub type AttemptOutcome = Judgement;

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
    /// The user has no such identifier (or it is of the other kind, or not verified where a
    /// verified one is needed).
    #[error("no such identifier")]
    NoIdentifier,
    /// The identifier is the user's last verified one: without it they could not sign in.
    #[error("the last verified identifier cannot be removed")]
    LastIdentifier,
    /// The user is banned: they cannot sign in.
    #[error("the user is banned")]
    Banned,
    /// The change needs a recent verification of the session.
    #[error("reverification required")]
    ReverificationRequired,
    /// Anything else: the database failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
