//! The Backend API, for the app developer's own servers: a faithful subset of Clerk's Backend
//! API (users, bans, sessions, the JWKS), every request with a secret key
//! (`Authorization: Bearer sk_live_…`, made by `otp-server keys create`). It is served under
//! `--backend-path` (`/backend`) on the public address, or on its own `--backend-bind` address
//! to keep it off the internet.
//!
//! - `users.rs`: list, count, read, create, ban, unban and delete users.
//! - `GET /metrics` (Prometheus text, the secret key as a bearer token): [`crate::telemetry`].
//! - `sessions.rs`: list and revoke sessions.
//! - here: the route table, the secret-key check, and creating keys (`keys create`).

mod sessions;
mod users;

use crate::error::ApiError;
use crate::random::Random;
use crate::state::AppState;
use crate::store::{ApiKeyRow, Store};
use crate::tokens::SecretKey;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};

/// Every Backend API route: method, path (axum syntax, under `/v1`), handler.
pub fn routes() -> Vec<(&'static str, &'static str, MethodRouter<AppState>)> {
    vec![
        ("get", "/v1/users", get(users::list)),
        ("post", "/v1/users", post(users::create)),
        ("get", "/v1/users/count", get(users::count)),
        ("get", "/v1/users/{id}", get(users::get)),
        ("delete", "/v1/users/{id}", delete(users::remove)),
        ("post", "/v1/users/{id}/ban", post(users::ban)),
        ("post", "/v1/users/{id}/unban", post(users::unban)),
        ("get", "/v1/sessions", get(sessions::list)),
        ("get", "/v1/sessions/{id}", get(sessions::get)),
        ("post", "/v1/sessions/{id}/revoke", post(sessions::revoke)),
        ("get", "/v1/jwks", get(jwks)),
        ("get", "/metrics", get(crate::telemetry::scrape)),
    ]
}

/// The Backend API's router: every route of [`routes`] behind the secret-key check, and JSON
/// 404 and 405 answers like the Frontend API's.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (_, path, handler) in routes() {
        router = router.route(path, handler);
    }
    router
        .route_layer(middleware::from_fn(crate::telemetry::track))
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .fallback(|| async { ApiError::NotFound })
        .layer(middleware::from_fn_with_state(state.clone(), require_key))
        .with_state(state)
}

/// Lets through only requests with a secret key that exists and is not revoked; any other gets
/// 401 `clerk_key_invalid` (the same answer whatever is wrong with the key).
async fn require_key(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let key = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(SecretKey::from_header);
    let Some(key) = key else {
        return ApiError::KeyInvalid.into_response();
    };
    match state.store.api_key(&key.hash()).await {
        Ok(Some(row)) if row.revoked_at.is_none() => next.run(req).await,
        Ok(_) => ApiError::KeyInvalid.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /v1/jwks`: the session tokens' public keys (what `verifyToken` fetches).
async fn jwks(State(state): State<AppState>) -> Response {
    axum::Json(state.jwt.jwks(state.now())).into_response()
}

/// Makes a new secret key named `name`: the key in clear (shown once, never stored) and its
/// stored row.
pub async fn create_key(
    store: &Store,
    random: &Random,
    name: &str,
    now: i64,
) -> anyhow::Result<(SecretKey, ApiKeyRow)> {
    let key = SecretKey::generate(random)?;
    let row = ApiKeyRow {
        id: crate::ids::new_id(random, "ak")?,
        name: name.to_owned(),
        hint: key.hint(),
        created_at: now,
        revoked_at: None,
    };
    store.add_api_key(&row, &key.hash()).await?;
    Ok((key, row))
}

/// Reads a query string's pairs, repeated keys kept (`email_address=a&email_address=b`);
/// one that does not parse is a 422 naming no parameter.
fn query_pairs(query: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str(query.unwrap_or_default()).map_err(|_| ApiError::Invalid {
        param: None,
        message: "The query string could not be read.".into(),
    })
}

/// A whole-number query parameter within `min..=max`, `default` when absent.
fn number(
    pairs: &[(String, String)],
    name: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ApiError> {
    let Some((_, value)) = pairs.iter().rev().find(|(k, _)| k == name) else {
        return Ok(default);
    };
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| ApiError::Invalid {
            param: Some(name),
            message: format!("{name} must be a whole number from {min} to {max}."),
        })
}

/// The last value of a query parameter, if given and not blank.
fn single<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Every value of a repeated query parameter (also `name[]`, as some clients send arrays).
fn every<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == name || k.strip_suffix("[]") == Some(name))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
        .collect()
}
