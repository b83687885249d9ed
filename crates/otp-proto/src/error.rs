//! Errors on the wire: Clerk's `{"errors":[{code,message,long_message,meta}]}` envelope and the
//! stable codes the server uses. A client branches on [`ErrorCode`], never on the message text.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Every error code the server returns. The string form is Clerk's, so developers who know
/// Clerk's guide recognise them. Each variant's doc says its HTTP status and when it happens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 422: a required parameter is missing (`meta.param_name` says which).
    FormParamMissing,
    /// 422: a parameter is malformed: a phone number or email that does not parse, an unknown
    /// strategy, a code that is not six digits (`meta.param_name` says which).
    FormParamFormatInvalid,
    /// 422: sign-up with a phone number or email that already belongs to a user.
    FormIdentifierExists,
    /// 422: sign-in with a phone number or email that belongs to no user.
    FormIdentifierNotFound,
    /// 422: the code is wrong; `meta.remaining_attempts` says how many tries are left.
    FormCodeIncorrect,
    /// 422: the code has expired (or none was prepared): prepare a new one.
    VerificationExpired,
    /// 422: too many wrong codes for this verification: prepare a new one.
    VerificationFailed,
    /// 422: the code was already used; this sign-up or sign-in is complete.
    VerificationAlreadyVerified,
    /// 422: the strategy (or the identifier id) does not fit this sign-up or sign-in.
    StrategyForUserInvalid,
    /// 429: too many codes sent; the `Retry-After` header says when to try again.
    TooManyRequests,
    /// 403: too many consecutive failures for this identifier; it is locked for a while
    /// (`Retry-After` and `meta.lockout_expires_in_seconds` say how long).
    UserLocked,
    /// 404: no such object for this client (unknown id, or it belongs to another client).
    ResourceNotFound,
    /// 401: the session is not active any more (ended, revoked or expired).
    AuthenticationInvalid,
    /// 413: the request body is larger than the server accepts.
    RequestBodyTooLarge,
    /// 403: a browser request (the client in a cookie) from an origin the server does not allow
    /// (`--allowed-origin`), or a state-changing one without an `Origin` header.
    OriginInvalid,
    /// 405: the path exists but not with this method (the `Allow` header lists the methods).
    MethodNotAllowed,
    /// 403: a sensitive change (deleting the account, …) needs a first factor verified in the
    /// last 10 minutes (`--reverification-secs`); verify a fresh code first.
    SessionReverificationRequired,
    /// 400: the identifier is the account's last verified one, which signs in: add and verify
    /// another before removing it.
    IdentificationDeletionFailed,
    /// 422: the identifier named (`meta.param_name`) is not a verified one of this user (making
    /// an identifier primary needs it verified).
    FormVerificationNeeded,
    /// 403: the user is banned (Backend API `POST /v1/users/{id}/ban`): the right code signs
    /// them in no more.
    UserBanned,
    /// 401: a Backend API request without a valid secret key (missing, unknown or revoked).
    ClerkKeyInvalid,
    /// 408: the request's body did not arrive in time (`--body-timeout-secs`); the connection
    /// is closed.
    RequestTimeout,
    /// 500: something failed on the server; it is logged there.
    InternalClerkError,
    /// A code this version of the protocol does not know (a newer server).
    Other(String),
}

impl ErrorCode {
    /// The stable snake_case string sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::FormParamMissing => "form_param_missing",
            Self::FormParamFormatInvalid => "form_param_format_invalid",
            Self::FormIdentifierExists => "form_identifier_exists",
            Self::FormIdentifierNotFound => "form_identifier_not_found",
            Self::FormCodeIncorrect => "form_code_incorrect",
            Self::VerificationExpired => "verification_expired",
            Self::VerificationFailed => "verification_failed",
            Self::VerificationAlreadyVerified => "verification_already_verified",
            Self::StrategyForUserInvalid => "strategy_for_user_invalid",
            Self::TooManyRequests => "too_many_requests",
            Self::UserLocked => "user_locked",
            Self::ResourceNotFound => "resource_not_found",
            Self::AuthenticationInvalid => "authentication_invalid",
            Self::RequestBodyTooLarge => "request_body_too_large",
            Self::OriginInvalid => "origin_invalid",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::SessionReverificationRequired => "session_reverification_required",
            Self::RequestTimeout => "request_timeout",
            Self::UserBanned => "user_banned",
            Self::ClerkKeyInvalid => "clerk_key_invalid",
            Self::IdentificationDeletionFailed => "identification_deletion_failed",
            Self::FormVerificationNeeded => "form_verification_needed",
            Self::InternalClerkError => "internal_clerk_error",
            Self::Other(s) => s,
        }
    }

    /// Every code the protocol defines (not [`ErrorCode::Other`]), for documentation and tests.
    pub const ALL: [ErrorCode; 23] = [
        Self::FormParamMissing,
        Self::FormParamFormatInvalid,
        Self::FormIdentifierExists,
        Self::FormIdentifierNotFound,
        Self::FormCodeIncorrect,
        Self::VerificationExpired,
        Self::VerificationFailed,
        Self::VerificationAlreadyVerified,
        Self::StrategyForUserInvalid,
        Self::TooManyRequests,
        Self::UserLocked,
        Self::ResourceNotFound,
        Self::AuthenticationInvalid,
        Self::RequestBodyTooLarge,
        Self::OriginInvalid,
        Self::MethodNotAllowed,
        Self::SessionReverificationRequired,
        Self::RequestTimeout,
        Self::IdentificationDeletionFailed,
        Self::FormVerificationNeeded,
        Self::UserBanned,
        Self::ClerkKeyInvalid,
        Self::InternalClerkError,
    ];

    /// The HTTP status the server answers with for this code.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::TooManyRequests => 429,
            Self::UserLocked
            | Self::OriginInvalid
            | Self::SessionReverificationRequired
            | Self::UserBanned => 403,
            Self::ResourceNotFound => 404,
            Self::AuthenticationInvalid | Self::ClerkKeyInvalid => 401,
            Self::RequestBodyTooLarge => 413,
            Self::MethodNotAllowed => 405,
            Self::RequestTimeout => 408,
            Self::IdentificationDeletionFailed => 400,
            Self::InternalClerkError | Self::Other(_) => 500,
            _ => 422,
        }
    }
}

impl From<&str> for ErrorCode {
    fn from(s: &str) -> Self {
        Self::ALL
            .iter()
            .find(|c| c.as_str() == s)
            .cloned()
            .unwrap_or_else(|| Self::Other(s.to_owned()))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Self::from(s.as_str()))
    }
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// One or more errors; the server sends exactly one.
    pub errors: Vec<ErrorBody>,
}

/// One error, as Clerk shapes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The stable code to branch on.
    pub code: ErrorCode,
    /// A short sentence for a user.
    pub message: String,
    /// A longer sentence that says what to do.
    pub long_message: String,
    /// Details: which parameter, how many tries are left, how long a lock lasts.
    #[serde(default)]
    pub meta: ErrorMeta,
}

/// Details of an error. Fields that do not apply are left out.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ErrorMeta {
    /// The request parameter the error is about (`phone_number`, `code`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param_name: Option<String>,
    /// With `form_code_incorrect`: how many more codes may be tried before the code is void.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_attempts: Option<u32>,
    /// With `user_locked`: seconds until the identifier is unlocked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lockout_expires_in_seconds: Option<u64>,
}
