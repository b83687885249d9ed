//! Sessions: choose the active one (`touch`, what `setActive` calls), sign out one or all, and
//! mint the short-lived JWT that the app's own servers verify offline.

use super::{reply, with_token};
use crate::error::ApiError;
use crate::extract::{ClientAuth, ClientCtx, Seen};
use crate::present;
use crate::state::AppState;
use crate::store::SessionRow;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

/// `POST /v1/client/sessions/{id}/touch`
pub async fn touch_session(
    State(state): State<AppState>,
    auth: ClientAuth,
    seen: Seen,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = auth.0.ok_or(ApiError::NotFound)?;
    active(&state, &ctx, &id).await?;
    state
        .store
        .touch_session(&ctx.client.id, &id, state.now(), true, &seen.0)
        .await?;
    respond(&state, &ctx, &id).await
}

/// `POST /v1/client/sessions/{id}/end`
pub async fn end_session(
    State(state): State<AppState>,
    auth: ClientAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = auth.0.ok_or(ApiError::NotFound)?;
    state
        .store
        .session(&ctx.client.id, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    state
        .store
        .end_sessions(&ctx.client.id, Some(&id), state.now())
        .await?;
    respond(&state, &ctx, &id).await
}

/// `DELETE /v1/client/sessions`: signs out every session of this client; answers with the client.
/// A caller without a client has nothing to sign out: it gets an empty client that is never
/// stored (what the SDKs expect), so anonymous requests leave nothing behind in the database.
pub async fn end_all_sessions(
    State(state): State<AppState>,
    auth: ClientAuth,
) -> Result<Response, ApiError> {
    let ctx = auth.or_new(&state)?;
    if ctx.key().new_token_hash.is_some() {
        let empty = crate::store::ClientState {
            client: ctx.client.clone(),
            sessions: Vec::new(),
            sign_up: None,
            sign_in: None,
        };
        let client = super::present_client(&state, &empty)?;
        return super::reply_with(&state, &ctx, &empty, client);
    }
    state
        .store
        .end_sessions(&ctx.client.id, None, state.now())
        .await?;
    let client_state = state.store.client_state(&ctx.client.id).await?;
    let client = super::present_client(&state, &client_state)?;
    reply(&state, &ctx, client).await
}

/// `POST /v1/client/sessions/{id}/tokens`: a bare `{"object":"token","jwt":…}`.
pub async fn create_session_token(
    State(state): State<AppState>,
    auth: ClientAuth,
    seen: Seen,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = auth.0.ok_or(ApiError::NotFound)?;
    let session = active(&state, &ctx, &id).await?;
    let now = state.now();
    let verified_minutes = (now - session.verified_at).max(0) / 60_000;
    let jwt = state
        .jwt
        .sign(&session.user_id, &session.id, verified_minutes, now)?;
    state
        .store
        .touch_session(&ctx.client.id, &id, now, false, &seen.0)
        .await?;
    let mut res = axum::Json(otp_proto::Token {
        object: "token".into(),
        jwt,
    })
    .into_response();
    with_token(&mut res, &ctx)?;
    Ok(res)
}

/// The session if it is the client's (else not found) and active (else `authentication_invalid`).
async fn active(state: &AppState, ctx: &ClientCtx, id: &str) -> Result<SessionRow, ApiError> {
    let session = state
        .store
        .session(&ctx.client.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !session.is_active(state.now(), state.config.policy.session_idle_ms()) {
        return Err(ApiError::SessionInactive);
    }
    Ok(session)
}

async fn respond(state: &AppState, ctx: &ClientCtx, id: &str) -> Result<Response, ApiError> {
    let session = state
        .store
        .session(&ctx.client.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let user = state
        .store
        .user(&session.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    reply(
        state,
        ctx,
        present::session(&session, &user, state.now(), &state.config.policy),
    )
    .await
}
