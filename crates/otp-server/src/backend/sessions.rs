//! `/v1/sessions`: the operator's view of sessions, as Clerk's Backend API answers it.

use super::{query_pairs, single};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::SessionRow;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use otp_proto::backend::{Page, Session};

/// `GET /v1/sessions?user_id=…` (or `client_id=…`, or both): the sessions in every state,
/// newest first, optionally of one `status`; a bare array, or `{data, total_count}` with
/// `paginated=true` (what `@clerk/backend` asks for).
pub(super) async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(query.as_deref())?;
    let user_id = single(&pairs, "user_id");
    let client_id = single(&pairs, "client_id");
    if user_id.is_none() && client_id.is_none() {
        return Err(ApiError::Missing("user_id"));
    }
    let status = single(&pairs, "status");
    let now = state.now();
    let sessions: Vec<Session> = state
        .store
        .sessions_of(user_id, client_id)
        .await?
        .iter()
        .map(|s| crate::present::backend_session(s, now, &state.config.policy))
        .filter(|s| status.is_none_or(|wanted| status_name(s) == wanted))
        .collect();
    if single(&pairs, "paginated") == Some("true") {
        let total_count = sessions.len() as u64;
        return Ok(Json(Page {
            data: sessions,
            total_count,
        })
        .into_response());
    }
    Ok(Json(sessions).into_response())
}

/// `GET /v1/sessions/{id}`.
pub(super) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Session>, ApiError> {
    let session = state.store.session_by_id(&id).await?;
    shown(&state, session, id)
}

/// `POST /v1/sessions/{id}/revoke`: the session ends on its device at its next request (its
/// tokens already issued last at most `--jwt-ttl-secs`).
pub(super) async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Session>, ApiError> {
    let session = state.store.revoke_session(&id, state.now()).await?;
    shown(&state, session, id)
}

fn shown(
    state: &AppState,
    session: Option<SessionRow>,
    id: String,
) -> Result<Json<Session>, ApiError> {
    let session = session.ok_or(ApiError::NoSuch {
        kind: "session",
        id,
    })?;
    Ok(Json(crate::present::backend_session(
        &session,
        state.now(),
        &state.config.policy,
    )))
}

/// The wire name of a session's status (`active`, `ended`, `revoked`, `expired`).
fn status_name(session: &Session) -> String {
    serde_json::to_value(session.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
