//! The objects of the protocol, with the names, statuses and shapes of Clerk's Frontend API
//! (schemas `Client.Client`, `Client.SignUp`, `Client.SignIn`, `Stubs.Verification.OTP`,
//! `Stubs.SignInFactor`, `Client.Session`, `Client.User`, `Client.PhoneNumber`,
//! `Client.EmailAddress`). Fields that do not concern one-time codes are left out, or sent as
//! the empty value Clerk sends for an instance without that feature.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a code is delivered and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// A code sent by SMS to a phone number.
    PhoneCode,
    /// A code sent by email.
    EmailCode,
}

impl Strategy {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PhoneCode => "phone_code",
            Self::EmailCode => "email_code",
        }
    }

    /// Parses the wire name; `None` for strategies this server does not offer.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "phone_code" => Some(Self::PhoneCode),
            "email_code" => Some(Self::EmailCode),
            _ => None,
        }
    }
}

/// The device's view of everything it has going on: its sessions and its current sign-up and
/// sign-in attempts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Client {
    /// Always `"client"`.
    pub object: String,
    /// `client_…`.
    pub id: String,
    /// The active sessions of this device.
    pub sessions: Vec<Session>,
    /// The sign-in attempt in progress, if any.
    pub sign_in: Option<SignIn>,
    /// The sign-up attempt in progress, if any.
    pub sign_up: Option<SignUp>,
    /// The session chosen with `touch` (Clerk's `setActive`), or the latest one created.
    pub last_active_session_id: Option<String>,
    /// Native clients keep their token until it is replaced: no cookie expiry.
    pub cookie_expires_at: Option<i64>,
    /// Captcha is not used by this server.
    pub captcha_bypass: bool,
    /// Where the message carrying the current sign-in's code stands (an addition to Clerk's
    /// shape), null before the first prepare. It lives here because Clerk's `Client.SignIn` and
    /// its `Stubs.Verification.OTP` allow no extra field, and `Client.Client` does.
    #[serde(default)]
    pub sign_in_delivery_status: Option<DeliveryStatus>,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

impl Client {
    /// The session `last_active_session_id` points at, if it is still in the list.
    pub fn last_active_session(&self) -> Option<&Session> {
        let id = self.last_active_session_id.as_deref()?;
        self.sessions.iter().find(|s| s.id == id)
    }
}

/// Where a sign-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignUpStatus {
    /// Its identifier still has to be verified.
    MissingRequirements,
    /// The user and a session were created.
    Complete,
    /// It was left unfinished past `abandon_at`.
    Abandoned,
}

/// A sign-up attempt (`sign_up_attempt`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignUp {
    /// Always `"sign_up_attempt"`.
    pub object: String,
    /// `sua_…`.
    pub id: String,
    /// Where it stands.
    pub status: SignUpStatus,
    /// Fields the instance requires: none beyond the identifier given at creation.
    pub required_fields: Vec<String>,
    /// Fields the instance accepts: `phone_number` and `email_address`.
    pub optional_fields: Vec<String>,
    /// Required fields not given yet.
    pub missing_fields: Vec<String>,
    /// Fields given but not verified yet (`phone_number` or `email_address`).
    pub unverified_fields: Vec<String>,
    /// The verification of each identifier.
    pub verifications: SignUpVerifications,
    /// Not used (no usernames).
    pub username: Option<String>,
    /// The normalized email address, when signing up by email.
    pub email_address: Option<String>,
    /// The phone number in E.164, when signing up by phone.
    pub phone_number: Option<String>,
    /// Not used.
    pub web3_wallet: Option<String>,
    /// Always false: there are no passwords.
    pub password_enabled: bool,
    /// Not collected.
    pub first_name: Option<String>,
    /// Not collected.
    pub last_name: Option<String>,
    /// Always `{}`.
    pub unsafe_metadata: Value,
    /// Always `{}`.
    pub public_metadata: Value,
    /// Always false.
    pub custom_action: bool,
    /// Always null.
    pub external_id: Option<String>,
    /// The session created when the sign-up completed.
    pub created_session_id: Option<String>,
    /// The user created when the sign-up completed.
    pub created_user_id: Option<String>,
    /// After this time (ms) the attempt is abandoned.
    pub abandon_at: i64,
    /// Always null.
    pub legal_accepted_at: Option<i64>,
}

/// The verifications of a sign-up, one per identifier kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SignUpVerifications {
    /// The email verification, when signing up by email.
    pub email_address: Option<Verification>,
    /// The phone verification, when signing up by phone.
    pub phone_number: Option<Verification>,
    /// Always null.
    pub web3_wallet: Option<Verification>,
    /// Always null.
    pub external_account: Option<Verification>,
}

/// Where a verification stands (`Stubs.Verification.OTP.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    /// Waiting for a code (or for one to be prepared).
    Unverified,
    /// The right code was given.
    Verified,
    /// Too many wrong codes: a new one must be prepared.
    Failed,
    /// The code expired: a new one must be prepared.
    Expired,
}

/// What a sign-up verification needs next (`Stubs.SignUpVerification.next_action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NextAction {
    /// Call `prepare_verification` to send a code.
    #[serde(rename = "needs_prepare")]
    NeedsPrepare,
    /// Call `attempt_verification` with the code.
    #[serde(rename = "needs_attempt")]
    NeedsAttempt,
    /// Nothing: verified.
    #[serde(rename = "")]
    None,
}

/// A one-time-code verification (`Stubs.Verification.OTP`), merged with the sign-up fields
/// `next_action` and `supported_strategies` as Clerk sends them (`Stubs.SignUpVerification`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verification {
    /// Always `"verification_otp"`.
    pub object: String,
    /// Where it stands.
    pub status: VerificationStatus,
    /// The strategy of the code sent; null before the first prepare.
    pub strategy: Option<Strategy>,
    /// Wrong codes tried against the current code; null before the first prepare.
    pub attempts: Option<u32>,
    /// When the current code expires (ms); null before the first prepare. For a user's verified
    /// phone number or email, the time it was verified (its code can no longer be used).
    pub expire_at: Option<i64>,
    /// Sign-ups only: what to call next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_action: Option<NextAction>,
    /// Sign-ups only: the strategies that can verify this identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_strategies: Option<Vec<Strategy>>,
    /// Sign-ups only: where the message carrying the current code stands (an addition to
    /// Clerk's shape, which `Stubs.SignUpVerification` allows): `failed` means it will not
    /// arrive, and a new code should be asked for. A sign-in's is the client's
    /// [`Client::sign_in_delivery_status`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_status: Option<DeliveryStatus>,
}

/// Where the message carrying a code stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting to be sent, or being retried.
    Pending,
    /// Handed to the provider (or printed, in dev mode).
    Sent,
    /// It will not be sent: a permanent error, or retries ran out.
    Failed,
}

/// Where a sign-in stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInStatus {
    /// Waiting for a code.
    NeedsFirstFactor,
    /// A session was created.
    Complete,
    /// It was left unfinished past `abandon_at`.
    Abandoned,
}

/// A sign-in attempt (`sign_in_attempt`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignIn {
    /// Always `"sign_in_attempt"`.
    pub object: String,
    /// `sia_…`.
    pub id: String,
    /// Where it stands.
    pub status: SignInStatus,
    /// What can identify a user here: `phone_number`, `email_address`.
    pub supported_identifiers: Vec<String>,
    /// How the user can prove it is them: one entry per phone number or email of the user.
    pub supported_first_factors: Option<Vec<SignInFactor>>,
    /// Not used (no second factors).
    pub supported_second_factors: Option<Vec<SignInFactor>>,
    /// The code verification, once a code was prepared.
    pub first_factor_verification: Option<Verification>,
    /// Always null.
    pub second_factor_verification: Option<Verification>,
    /// The identifier given at creation, normalized.
    pub identifier: Option<String>,
    /// Always null: nothing about the user is shown before the code is verified.
    pub user_data: Option<Value>,
    /// The session created when the sign-in completed.
    pub created_session_id: Option<String>,
    /// After this time (ms) the attempt is abandoned.
    pub abandon_at: i64,
}

impl SignIn {
    /// The first factor of a given strategy, as the guide picks it from `supportedFirstFactors`.
    pub fn first_factor(&self, strategy: Strategy) -> Option<&SignInFactor> {
        self.supported_first_factors
            .as_deref()?
            .iter()
            .find(|f| f.strategy == strategy)
    }
}

/// One way to sign in (`Stubs.SignInFactor`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignInFactor {
    /// `phone_code` or `email_code`.
    pub strategy: Strategy,
    /// The identifier, masked (`+1********67`, `j***@example.com`).
    pub safe_identifier: String,
    /// With `phone_code`: the phone number to send the code to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    /// With `email_code`: the email address to send the code to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_address_id: Option<String>,
    /// Whether this is the user's primary identifier.
    pub primary: Option<bool>,
    /// Whether this is the factor to offer first.
    pub default: bool,
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Signed in.
    Active,
    /// Signed out by the user.
    Ended,
    /// Ended by the server or an operator.
    Revoked,
    /// Idle or older than the configured lifetime.
    Expired,
}

/// A signed-in session (`session`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// Always `"session"`.
    pub object: String,
    /// `sess_…`.
    pub id: String,
    /// Where it stands.
    pub status: SessionStatus,
    /// When it expires if it stays idle (ms), never after `abandon_at`.
    pub expire_at: i64,
    /// When it ends whatever happens (ms): the absolute lifetime.
    pub abandon_at: i64,
    /// Last `touch` or token (ms).
    pub last_active_at: i64,
    /// Not sent: ask `…/tokens` for a fresh token.
    pub last_active_token: Option<Token>,
    /// Always null (no impersonation).
    pub actor: Option<Value>,
    /// The signed-in user.
    pub user: User,
    /// What may be shown about the user.
    pub public_user_data: PublicUserData,
    /// Minutes since the first factor was verified, and `-1` for the (absent) second factor.
    pub factor_verification_age: Vec<i64>,
    /// Always null.
    pub last_active_organization_id: Option<String>,
    /// Sign-in time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
    /// Where it was last used from: only in `GET /v1/me/sessions/active` (Clerk's
    /// `Client.ActiveSession`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_activity: Option<SessionActivity>,
}

/// Where a session was last used from (`Client.SessionActivity`): what the server saw of the
/// request that last made it active or asked for its token.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionActivity {
    /// Always `"session_activity"`.
    pub object: String,
    /// `sess_activity_…` (one per session).
    pub id: String,
    /// The device's kind or operating system (`iPhone`, `Android`, `Mac OSX`, `Linux`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    /// Whether it is a phone.
    pub is_mobile: bool,
    /// The browser or app (`Chrome`, `Safari`, `otp-client`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_name: Option<String>,
    /// Its version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_version: Option<String>,
    /// The client's IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// Not known to this server (no geolocation database): never sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Not known to this server: never sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// What may be shown about a user (`Client.PublicUserData`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicUserData {
    /// Not collected.
    pub first_name: Option<String>,
    /// Not collected.
    pub last_name: Option<String>,
    /// No images.
    pub image_url: Option<String>,
    /// Always false.
    pub has_image: bool,
    /// The user's primary phone number or email.
    pub identifier: String,
    /// The user's id.
    pub user_id: Option<String>,
}

/// A user (`user`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// `user_…`.
    pub id: String,
    /// Always `"user"`.
    pub object: String,
    /// Not used.
    pub username: Option<String>,
    /// Not collected.
    pub first_name: Option<String>,
    /// Not collected.
    pub last_name: Option<String>,
    /// No images: empty.
    pub image_url: String,
    /// Always false.
    pub has_image: bool,
    /// The email the user signed up with, if by email.
    pub primary_email_address_id: Option<String>,
    /// The phone number the user signed up with, if by phone.
    pub primary_phone_number_id: Option<String>,
    /// Always null.
    pub primary_web3_wallet_id: Option<String>,
    /// Always false.
    pub password_enabled: bool,
    /// Always false.
    pub two_factor_enabled: bool,
    /// Always false.
    pub totp_enabled: bool,
    /// Always false.
    pub backup_code_enabled: bool,
    /// The user's verified email addresses.
    pub email_addresses: Vec<EmailAddress>,
    /// The user's verified phone numbers.
    pub phone_numbers: Vec<PhoneNumber>,
    /// Always empty.
    pub web3_wallets: Vec<Value>,
    /// Always empty.
    pub passkeys: Vec<Value>,
    /// Always empty.
    pub external_accounts: Vec<Value>,
    /// Always empty.
    pub saml_accounts: Vec<Value>,
    /// Always empty.
    pub enterprise_accounts: Vec<Value>,
    /// Always `{}`.
    pub public_metadata: Value,
    /// Always `{}`.
    pub unsafe_metadata: Value,
    /// Always null.
    pub external_id: Option<String>,
    /// Last completed sign-in or sign-up (ms).
    pub last_sign_in_at: Option<i64>,
    /// Always false.
    pub banned: bool,
    /// Whether sign-in is locked after too many wrong codes.
    pub locked: bool,
    /// Seconds until the lock ends, when locked.
    pub lockout_expires_in_seconds: Option<u64>,
    /// Wrong codes left before the lock.
    pub verification_attempts_remaining: Option<u32>,
    /// Always false.
    pub delete_self_enabled: bool,
    /// Always false.
    pub create_organization_enabled: bool,
    /// Last activity (ms).
    pub last_active_at: Option<i64>,
    /// Always null.
    pub mfa_enabled_at: Option<i64>,
    /// Always null.
    pub mfa_disabled_at: Option<i64>,
    /// Always null.
    pub legal_accepted_at: Option<i64>,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

impl User {
    /// The identifier to show for this user: the primary phone number, else the primary email.
    pub fn identifier(&self) -> Option<&str> {
        self.phone_numbers
            .first()
            .map(|p| p.phone_number.as_str())
            .or_else(|| {
                self.email_addresses
                    .first()
                    .map(|e| e.email_address.as_str())
            })
    }
}

/// A verified phone number of a user (`phone_number`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhoneNumber {
    /// `idn_…`.
    pub id: String,
    /// Always `"phone_number"`.
    pub object: String,
    /// E.164.
    pub phone_number: String,
    /// Always false.
    pub reserved_for_second_factor: bool,
    /// Always false.
    pub default_second_factor: bool,
    /// Always false.
    pub reserved: bool,
    /// How it was verified.
    pub verification: Option<Verification>,
    /// Always empty.
    pub linked_to: Vec<Value>,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

/// A verified email address of a user (`email_address`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailAddress {
    /// `idn_…`.
    pub id: String,
    /// Always `"email_address"`.
    pub object: String,
    /// Normalized (trimmed, domain lowercased).
    pub email_address: String,
    /// Always false.
    pub reserved: bool,
    /// How it was verified.
    pub verification: Option<Verification>,
    /// Always empty.
    pub linked_to: Vec<Value>,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

/// What a deletion answers (`DELETE /v1/me`: Clerk's `Client.DeletedObject`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeletedObject {
    /// What was deleted: `"user"`.
    pub object: String,
    /// Its id.
    pub id: Option<String>,
    /// Always true.
    pub deleted: bool,
}

/// Where a session's reverification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionVerificationStatus {
    /// A code must be sent to one of `supported_first_factors` and typed back.
    NeedsFirstFactor,
    /// Not reached: this server has no second factors.
    NeedsSecondFactor,
    /// The session's user proved it was them within `--reverification-secs`: sensitive
    /// changes are allowed.
    Complete,
}

/// A session's reverification (Clerk's `Client.SessionReverification`): the answer of
/// `POST /v1/client/sessions/{id}/verify` and of its prepare and attempt.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionVerification {
    /// Always `"session_reverification"`.
    pub object: String,
    /// Where it stands.
    pub status: SessionVerificationStatus,
    /// Always `first_factor`.
    pub level: String,
    /// The session, with its `factor_verification_age` as it is now.
    pub session: Session,
    /// The user's verified identifiers, masked: where a code can be sent.
    pub supported_first_factors: Option<Vec<SignInFactor>>,
    /// Always null.
    pub supported_second_factors: Option<Vec<SignInFactor>>,
    /// The code sent for it, if any.
    pub first_factor_verification: Option<Verification>,
    /// Always null.
    pub second_factor_verification: Option<Verification>,
}

/// A short-lived session token (`POST /v1/client/sessions/{id}/tokens`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    /// Always `"token"`.
    pub object: String,
    /// An EdDSA JWT with `sub` (user id), `sid` (session id), `iat`, `nbf`, `exp`, `iss`,
    /// verifiable with the keys at `/.well-known/jwks.json`.
    pub jwt: String,
}
