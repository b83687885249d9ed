//! The one error type at the HTTP edge. Each variant's doc says its status; each becomes Clerk's
//! error envelope with a stable code from `otp_proto::ErrorCode`. Unexpected failures are logged
//! with their cause and answered with an opaque 500, so internals never reach a client.

use crate::store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use otp_proto::{ApiErrorBody, ErrorBody, ErrorCode, ErrorMeta};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 422 `form_param_missing`.
    #[error("{0} is missing")]
    Missing(&'static str),
    /// 422 `form_param_format_invalid`: the parameter (if known) and why.
    #[error("{message}")]
    Invalid {
        /// The parameter, when one is to blame.
        param: Option<&'static str>,
        /// What is wrong, for a person.
        message: String,
    },
    /// 422 `form_identifier_exists`.
    #[error("identifier exists")]
    IdentifierExists(&'static str),
    /// 422 `form_identifier_not_found`.
    #[error("identifier not found")]
    IdentifierNotFound,
    /// 422 `form_code_incorrect`.
    #[error("code incorrect")]
    CodeIncorrect {
        /// Attempts left for this code.
        remaining: u32,
    },
    /// 422 `verification_expired`: expired, or never prepared.
    #[error("verification expired")]
    VerificationExpired {
        /// Whether a code was ever prepared.
        prepared: bool,
    },
    /// 422 `verification_failed`.
    #[error("verification failed")]
    VerificationFailed,
    /// 422 `verification_already_verified`.
    #[error("code already used")]
    VerificationAlreadyVerified,
    /// 422 `strategy_for_user_invalid`.
    #[error("strategy invalid for this attempt")]
    StrategyInvalid(&'static str),
    /// 429 `too_many_requests`, with `Retry-After`.
    #[error("too many requests")]
    TooManyRequests {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// 429 `too_many_requests`: text messages to this country are not enabled (SMS pumping
    /// protection), with `Retry-After` of an hour.
    #[error("country blocked")]
    CountryBlocked,
    /// 422 `strategy_for_user_invalid`: this server cannot deliver codes of this kind.
    #[error("channel disabled")]
    ChannelDisabled(crate::domain::IdentifierKind),
    /// 403 `user_locked`, with `Retry-After`.
    #[error("identifier locked")]
    Locked {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// 404 `resource_not_found`.
    #[error("not found")]
    NotFound,
    /// 401 `authentication_invalid`.
    #[error("session not active")]
    SessionInactive,
    /// 413 `request_body_too_large`.
    #[error("request body too large")]
    BodyTooLarge,
    /// 403 `origin_invalid`: a browser request from an origin that is not allowed (or, changing
    /// state, from no origin).
    #[error("origin not allowed")]
    OriginNotAllowed,
    /// 405 `method_not_allowed`: the path exists, not with this method (`Allow` lists those it has).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 408 `request_timeout`: the body did not arrive within `--body-timeout-secs`.
    #[error("request timeout")]
    RequestTimeout,
    /// 403 `session_reverification_required`: the session's last first-factor verification is
    /// older than `--reverification-secs`.
    #[error("reverification required")]
    ReverificationRequired,
    /// 400 `identification_deletion_failed`: the last verified identifier cannot be removed.
    #[error("last identifier")]
    LastIdentification,
    /// 422 `form_verification_needed`: the parameter does not name a verified identifier of
    /// the user.
    #[error("verification needed")]
    VerificationNeeded(&'static str),
    /// 403 `user_banned`: the user is banned.
    #[error("user banned")]
    Banned,
    /// 401 `clerk_key_invalid`: a Backend API request without a valid secret key.
    #[error("secret key invalid")]
    KeyInvalid,
    /// 404 `resource_not_found` on the Backend API: no such user or session (`kind`).
    #[error("no {kind} {id}")]
    NoSuch {
        /// `user`, `session`.
        kind: &'static str,
        /// The id asked for.
        id: String,
    },
    /// 500 `internal_clerk_error`: logged, never shown.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::IdentifierExists => Self::IdentifierExists("identifier"),
            StoreError::Locked { retry_after_secs } => Self::Locked { retry_after_secs },
            StoreError::TooManyRequests { retry_after_secs } => {
                Self::TooManyRequests { retry_after_secs }
            }
            StoreError::NoCode => Self::VerificationExpired { prepared: false },
            StoreError::NoIdentifier => Self::NotFound,
            StoreError::LastIdentifier => Self::LastIdentification,
            StoreError::ReverificationRequired => Self::ReverificationRequired,
            StoreError::Banned => Self::Banned,
            StoreError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl ApiError {
    /// The body of this error: code, sentences a person can act on, details.
    fn body(&self) -> ErrorBody {
        let meta = ErrorMeta::default();
        let (code, message, long_message, meta): (ErrorCode, &str, String, ErrorMeta) = match self {
            Self::Missing(p) => (
                ErrorCode::FormParamMissing,
                "is missing",
                format!("{p} must be included."),
                ErrorMeta { param_name: Some((*p).into()), ..meta },
            ),
            Self::Invalid { param, message } => (
                ErrorCode::FormParamFormatInvalid,
                "is invalid",
                message.clone(),
                ErrorMeta { param_name: param.map(Into::into), ..meta },
            ),
            Self::IdentifierExists(p) => (
                ErrorCode::FormIdentifierExists,
                "That identifier is taken.",
                "An account with this phone number or email address already exists. Sign in instead.".into(),
                ErrorMeta { param_name: Some((*p).into()), ..meta },
            ),
            Self::IdentifierNotFound => (
                ErrorCode::FormIdentifierNotFound,
                "Couldn't find your account.",
                "No account has this phone number or email address. Sign up instead.".into(),
                ErrorMeta { param_name: Some("identifier".into()), ..meta },
            ),
            Self::CodeIncorrect { remaining } => (
                ErrorCode::FormCodeIncorrect,
                "Incorrect code",
                format!(
                    "The code is incorrect. {remaining} more attempt{} before you need a new code.",
                    if *remaining == 1 { "" } else { "s" }
                ),
                ErrorMeta { param_name: Some("code".into()), remaining_attempts: Some(*remaining), ..meta },
            ),
            Self::VerificationExpired { prepared } => (
                ErrorCode::VerificationExpired,
                "This code has expired.",
                if *prepared {
                    "This code has expired. Request a new code.".into()
                } else {
                    "No code has been sent yet. Request a code first.".into()
                },
                ErrorMeta { param_name: Some("code".into()), ..meta },
            ),
            Self::VerificationFailed => (
                ErrorCode::VerificationFailed,
                "Too many failed attempts",
                "Too many incorrect codes. Request a new code.".into(),
                ErrorMeta { param_name: Some("code".into()), ..meta },
            ),
            Self::VerificationAlreadyVerified => (
                ErrorCode::VerificationAlreadyVerified,
                "Already verified",
                "This code was already used, and this sign-up or sign-in is complete.".into(),
                ErrorMeta { param_name: Some("code".into()), ..meta },
            ),
            Self::StrategyInvalid(p) => (
                ErrorCode::StrategyForUserInvalid,
                "Invalid verification strategy",
                "This verification method is not available for this account or attempt.".into(),
                ErrorMeta { param_name: Some((*p).into()), ..meta },
            ),
            Self::TooManyRequests { retry_after_secs } => (
                ErrorCode::TooManyRequests,
                "Too many requests",
                format!("Too many requests. Try again in {retry_after_secs} seconds."),
                meta,
            ),
            Self::CountryBlocked => (
                ErrorCode::TooManyRequests,
                "Country not enabled",
                "Text messages to this country are not enabled. Use an email address instead.".into(),
                ErrorMeta { param_name: Some("phone_number".into()), ..meta },
            ),
            Self::ChannelDisabled(kind) => (
                ErrorCode::StrategyForUserInvalid,
                "Not available",
                match kind {
                    crate::domain::IdentifierKind::Phone => "Codes by text message are not enabled on this server. Use an email address.".into(),
                    crate::domain::IdentifierKind::Email => "Codes by email are not enabled on this server. Use a phone number.".into(),
                },
                ErrorMeta { param_name: Some("strategy".into()), ..meta },
            ),
            Self::Locked { retry_after_secs } => (
                ErrorCode::UserLocked,
                "Account locked",
                format!(
                    "Too many incorrect codes were entered for this account. Try again in {} minutes.",
                    retry_after_secs.div_ceil(60)
                ),
                ErrorMeta { lockout_expires_in_seconds: Some(*retry_after_secs), ..meta },
            ),
            Self::NotFound => (
                ErrorCode::ResourceNotFound,
                "not found",
                "The requested resource was not found for this client.".into(),
                meta,
            ),
            Self::SessionInactive => (
                ErrorCode::AuthenticationInvalid,
                "Signed out",
                "This session has ended or expired. Sign in again.".into(),
                meta,
            ),
            Self::BodyTooLarge => (
                ErrorCode::RequestBodyTooLarge,
                "Request too large",
                "The request body is larger than this server accepts.".into(),
                meta,
            ),
            Self::OriginNotAllowed => (
                ErrorCode::OriginInvalid,
                "Origin not allowed",
                "This server does not accept requests from this web page's origin. Add it with --allowed-origin.".into(),
                meta,
            ),
            Self::MethodNotAllowed => (
                ErrorCode::MethodNotAllowed,
                "Method not allowed",
                "This path does not accept this HTTP method; the Allow header lists the ones it accepts.".into(),
                meta,
            ),
            Self::ReverificationRequired => (
                ErrorCode::SessionReverificationRequired,
                "Reverification required",
                "This change needs a code verified in the last few minutes. Verify a new code and try again.".into(),
                meta,
            ),
            Self::RequestTimeout => (
                ErrorCode::RequestTimeout,
                "Request timeout",
                "The request body did not arrive in time. Check the connection and try again.".into(),
                meta,
            ),
            Self::LastIdentification => (
                ErrorCode::IdentificationDeletionFailed,
                "You cannot delete your last identification.",
                "This is the only verified phone number or email address you can sign in with. Add and verify another one first.".into(),
                meta,
            ),
            Self::VerificationNeeded(p) => (
                ErrorCode::FormVerificationNeeded,
                "Needs verification",
                "Only a verified phone number or email address of this account can be primary. Verify it first.".into(),
                ErrorMeta { param_name: Some((*p).into()), ..meta },
            ),
            Self::Banned => (
                ErrorCode::UserBanned,
                "You are banned",
                "You have been banned. If you think this was by mistake, please contact support.".into(),
                meta,
            ),
            Self::KeyInvalid => (
                ErrorCode::ClerkKeyInvalid,
                "Secret key invalid",
                "The provided secret key is invalid, or revoked. Send a key from `otp-server keys create` as `Authorization: Bearer sk_live_…`.".into(),
                meta,
            ),
            Self::NoSuch { kind, id } => (
                ErrorCode::ResourceNotFound,
                "not found",
                format!("No {kind} was found with id {id}."),
                meta,
            ),
            Self::Unexpected(_) => (
                ErrorCode::InternalClerkError,
                "Something went wrong",
                "Something went wrong on the server. Try again in a moment.".into(),
                meta,
            ),
        };
        ErrorBody {
            code,
            message: message.into(),
            long_message,
            meta,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after_secs } | Self::Locked { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            Self::CountryBlocked => Some(3_600),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Unexpected(e) = &self {
            tracing::error!(error = ?e, "request failed");
        }
        let body = self.body();
        let status = StatusCode::from_u16(body.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response =
            (status, axum::Json(ApiErrorBody { errors: vec![body] })).into_response();
        if let Some(secs) = self.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
