//! The signed-in user's account, under Clerk's `/v1/me`: who they are, the devices they are
//! signed in on, and signing one of them out. The session is the one named by
//! `_clerk_session_id` (as clerk-js sends it), else the client's last active one.

use super::{reply, reply_with, with_token};
use crate::error::ApiError;
use crate::extract::{Body, ClientAuth, ClientCtx};
use crate::present;
use crate::state::AppState;
use crate::store::{ClientState, SessionRow, UserRow};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use otp_proto::UpdateUser;
use serde::Deserialize;

/// The session a `/v1/me` request acts for.
#[derive(Debug, Deserialize)]
pub struct SessionQuery {
    /// Clerk's name for it (clerk-js adds it to every request).
    #[serde(rename = "_clerk_session_id")]
    pub session_id: Option<String>,
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
    let me = signed_in(&state, auth, query).await?;
    require_recent_verification(&state, &me)?;
    let now = state.now();
    if !state.store.delete_user(&me.user.id, now).await? {
        return Err(ApiError::NotFound);
    }
    let deleted = otp_proto::DeletedObject {
        object: "user".into(),
        id: Some(me.user.id.clone()),
        deleted: true,
    };
    reply(&state, &me.ctx, deleted).await
}

/// `PATCH /v1/me`: the user's primary email address and/or phone number, each a verified one
/// of theirs (else 422 `form_verification_needed`). Needs a recent verification, as every
/// change to how the account signs in does.
pub async fn update_me(
    State(state): State<AppState>,
    auth: ClientAuth,
    Query(query): Query<SessionQuery>,
    Body(req): Body<UpdateUser>,
) -> Result<Response, ApiError> {
    let me = signed_in(&state, auth, query).await?;
    let email = req
        .primary_email_address_id
        .as_deref()
        .filter(|s| !s.is_empty());
    let phone = req
        .primary_phone_number_id
        .as_deref()
        .filter(|s| !s.is_empty());
    if email.is_some() || phone.is_some() {
        require_recent_verification(&state, &me)?;
        let param = if email.is_some() {
            "primary_email_address_id"
        } else {
            "primary_phone_number_id"
        };
        state
            .store
            .set_primary(&me.user.id, email, phone, state.now())
            .await
            .map_err(|e| match ApiError::from(e) {
                ApiError::NotFound => ApiError::VerificationNeeded(param),
                other => other,
            })?;
    }
    let user = state
        .store
        .user(&me.user.id)
        .await?
        .ok_or(ApiError::SessionInactive)?;
    reply(&state, &me.ctx, present::user(&user, state.now())).await
}

/// A sensitive change (deleting the account, removing an identifier, changing the primary
/// one) needs the session's user to have typed a code within `--reverification-secs`: at
/// sign-in, or by reverifying (`POST /v1/client/sessions/{id}/verify`); else 403
/// `session_reverification_required`.
pub(super) fn require_recent_verification(state: &AppState, me: &Me) -> Result<(), ApiError> {
    if state.now() - me.session.verified_at > state.config.policy.reverification_ms() {
        return Err(ApiError::ReverificationRequired);
    }
    Ok(())
}

/// A `/v1/me` request's caller: its client as it is now, and the signed-in session and user.
pub(super) struct Me {
    pub ctx: ClientCtx,
    pub client_state: ClientState,
    pub session: SessionRow,
    pub user: UserRow,
}

/// The caller of a `/v1/me` request, signed in with the session named `_clerk_session_id`, else
/// the client's last active one. Signed out: `authentication_invalid`, as for an ended session.
pub(super) async fn signed_in(
    state: &AppState,
    auth: ClientAuth,
    query: SessionQuery,
) -> Result<Me, ApiError> {
    let ctx = auth.0.ok_or(ApiError::SessionInactive)?;
    me_of(state, ctx, query.session_id.as_deref()).await
}

/// [`signed_in`] for a known client: with the session `session_id`, else its last active one.
pub(super) async fn me_of(
    state: &AppState,
    ctx: ClientCtx,
    session_id: Option<&str>,
) -> Result<Me, ApiError> {
    let client_state = state.store.client_state(&ctx.client.id).await?;
    let id = session_id
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
