//! Why a request has no session, and the answer that says so.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Why a request has no [`crate::Session`].
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// No `Authorization: Bearer …` header and no `__session` cookie.
    #[error("no session token")]
    Missing,
    /// The token is not one the server signed, or it expired.
    #[error("invalid session token: {0}")]
    Invalid(String),
    /// The JWKS could not be fetched, and no key was cached.
    #[error("the signing keys cannot be fetched")]
    KeysUnavailable,
}

impl IntoResponse for Rejection {
    /// 401 `authentication_invalid` (503 `service_unavailable` while no key can be had), in the
    /// error shape of Clerk and `otp-server`.
    fn into_response(self) -> Response {
        let (status, code, long_message) = match &self {
            Self::Missing => (
                StatusCode::UNAUTHORIZED,
                "authentication_invalid",
                "Sign in: this request has no session token.",
            ),
            Self::Invalid(_) => (
                StatusCode::UNAUTHORIZED,
                "authentication_invalid",
                "The session token is invalid or has expired. Get a fresh one and retry.",
            ),
            Self::KeysUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "The session tokens cannot be checked right now. Try again in a moment.",
            ),
        };
        let body = serde_json::json!({
            "errors": [{ "code": code, "message": self.to_string(), "long_message": long_message, "meta": {} }]
        });
        (status, axum::Json(body)).into_response()
    }
}
