//! The axum extractor and its rejection.

use crate::verifier::{Claims, SessionVerifier};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

/// The signed-in user of a request: its token was valid.
#[derive(Debug, Clone)]
pub struct Session {
    /// `user_…`.
    pub user_id: String,
    /// `sess_…`.
    pub session_id: String,
    /// Everything the token says.
    pub claims: Claims,
}

/// Why a request has no [`Session`].
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

impl<S> FromRequestParts<S> for Session
where
    SessionVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Rejection> {
        let token = bearer(parts)
            .or_else(|| session_cookie(parts))
            .ok_or(Rejection::Missing)?;
        let claims = SessionVerifier::from_ref(state).verify(&token).await?;
        Ok(Self {
            user_id: claims.sub.clone(),
            session_id: claims.sid.clone(),
            claims,
        })
    }
}

fn bearer(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

/// The `__session` cookie clerk-js keeps the token in on the app's own domain.
fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("__session=").map(str::to_owned))
        .filter(|t| !t.is_empty())
}
