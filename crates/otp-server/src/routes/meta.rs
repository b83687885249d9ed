//! What is not about one client: health, the JWKS, the OpenAPI document.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The OpenAPI document of this API, kept true by a test against the route table.
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// `GET /healthz`: 200 when the database answers.
pub async fn healthz(State(state): State<AppState>) -> Result<Response, ApiError> {
    state.store.ping().await?;
    Ok(axum::Json(serde_json::json!({"status": "ok"})).into_response())
}

/// `GET /.well-known/jwks.json`
pub async fn jwks(State(state): State<AppState>) -> Response {
    axum::Json(state.jwt.jwks(state.now())).into_response()
}

/// `GET /v1/openapi.json`
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}
