//! Dev mode only: the outbox, so a developer can read a code without a phone or a mailbox.
//! This route does not exist outside dev mode.

use crate::domain::Identifier;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The query of the outbox.
#[derive(Debug, Deserialize)]
pub struct OutboxQuery {
    to: Option<String>,
}

/// `GET /v1/dev/outbox?to=<identifier>`: the latest message to that phone number or email.
pub async fn dev_outbox(
    State(state): State<AppState>,
    Query(q): Query<OutboxQuery>,
) -> Result<Response, ApiError> {
    let raw = super::required(&q.to, "to")?;
    let to = Identifier::parse_any(raw, state.default_region).map_err(|e| ApiError::Invalid {
        param: Some("to"),
        message: format!("to {e}."),
    })?;
    let message = state
        .store
        .dev_outbox_latest(&to)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(axum::Json(message).into_response())
}
