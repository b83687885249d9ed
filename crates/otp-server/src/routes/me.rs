//! The signed-in user's account, under Clerk's `/v1/me`: who they are, the devices they are
//! signed in on, and signing one of them out. The session is the one named by
//! `_clerk_session_id` (as clerk-js sends it), else the client's last active one.

use super::{reply, reply_with, with_token};
use crate::error::ApiError;
use crate::extract::{ClientAuth, ClientCtx};
use crate::present;
use crate::state::AppState;
use crate::store::{ClientState, SessionRow, UserRow};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The session a `/v1/me` request acts for.
#[derive(Debug, Deserialize)]
pub struct SessionQuery {
    /// Clerk's name for it (clerk-js adds it to every request).
    #[serde(rename = "_clerk_session_id")]
    session_id: Option<String>,
}

/// `GET /v1/me`: the signed-in user.
pub async fn get_me(
    State(state): State<AppState>,
    auth: ClientAuth,
    Query(query): Query<SessionQuery>,
) -> Result<Response, ApiError> {
    let me = signed_in(&state, auth, query).await?;
    let body = present::user(&me.user, state.now());
    reply_with(&state, &me.ctx, &me.client_state, body)
}

/// `GET /v1/me/sessions/active`: the user's active sessions on every device, oldest first, as a
/// bare array (Clerk's shape: no envelope).
pub async fn active_sessions(
    State(state): State<AppState>,
    auth: ClientAuth,
    Query(query): Query<SessionQuery>,
) -> Result<Response, ApiError> {
    let Me { ctx, user, .. } = signed_in(&state, auth, query).await?;
    let (now, policy) = (state.now(), &state.config.policy);
    let sessions: Vec<_> = state
        .store
        .user_sessions(&user.id)
        .await?
        .iter()
        .filter(|s| s.is_active(now, policy.session_idle_ms()))
        .map(|s| otp_proto::Session {
            latest_activity: Some(present::activity(s)),
            ..present::session(s, &user, now, policy)
        })
        .collect();
    let mut res = axum::Json(sessions).into_response();
    with_token(&mut res, &ctx)?;
    Ok(res)
}

/// `POST /v1/me/sessions/{id}/revoke`: ends one of the user's sessions at once, on whichever
/// device it is (its JWTs stop being issued); another user's session is `resource_not_found`.
pub async fn revoke_session(
    State(state): State<AppState>,
    auth: ClientAuth,
    Path(id): Path<String>,
    Query(query): Query<SessionQuery>,
) -> Result<Response, ApiError> {
    let Me { ctx, user, .. } = signed_in(&state, auth, query).await?;
    let now = state.now();
    let revoked = state
        .store
        .revoke_user_session(&user.id, &id, now)
        .await?
        .ok_or(ApiError::NotFound)?;
    let body = present::session(&revoked, &user, now, &state.config.policy);
    reply(&state, &ctx, body).await
}

/// `DELETE /v1/me`: deletes the account and its personal data, ends its sessions on every device
/// and frees its identifiers for a new sign-up at once. Needs the session's first factor
/// verified within `--reverification-secs` (else 403 `session_reverification_required`).
pub async fn delete_me(
    State(state): State<AppState>,
    auth: ClientAuth,
    Query(query): Query<SessionQuery>,
) -> Result<Response, ApiError> {
    let Me {
        ctx, session, user, ..
    } = signed_in(&state, auth, query).await?;
    let now = state.now();
    // The sign-in is the session's first-factor verification.
    if now - session.created_at > state.config.policy.reverification_ms() {
        return Err(ApiError::ReverificationRequired);
    }
    if !state.store.delete_user(&user.id, now).await? {
        return Err(ApiError::NotFound);
    }
    let deleted = otp_proto::DeletedObject {
        object: "user".into(),
        id: Some(user.id.clone()),
        deleted: true,
    };
    reply(&state, &ctx, deleted).await
}

/// A `/v1/me` request's caller: its client as it is now, and the signed-in session and user.
struct Me {
    ctx: ClientCtx,
    client_state: ClientState,
    session: SessionRow,
    user: UserRow,
}

/// The caller of a `/v1/me` request, signed in with the session named `_clerk_session_id`, else
/// the client's last active one. Signed out: `authentication_invalid`, as for an ended session.
async fn signed_in(
    state: &AppState,
    auth: ClientAuth,
    query: SessionQuery,
) -> Result<Me, ApiError> {
    let ctx = auth.0.ok_or(ApiError::SessionInactive)?;
    let client_state = state.store.client_state(&ctx.client.id).await?;
    let id = query
        .session_id
        .as_deref()
        .or(client_state.client.last_active_session_id.as_deref())
        .ok_or(ApiError::SessionInactive)?;
    let (now, idle) = (state.now(), state.config.policy.session_idle_ms());
    let (session, user) = client_state
        .sessions
        .iter()
        .find(|(s, _)| s.id == id && s.is_active(now, idle))
        .cloned()
        .ok_or(ApiError::SessionInactive)?;
    Ok(Me {
        ctx,
        client_state,
        session,
        user,
    })
}
