//! The axum extractor.

use crate::rejection::Rejection;
use crate::verifier::{Claims, SessionVerifier};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;

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
