//! Reverification (Clerk's `/v1/client/sessions/{id}/verify`): the signed-in user proves again
//! that it is them, with a fresh code to one of their verified identifiers, before a sensitive
//! change (deleting the account, removing an identifier, changing the primary one: those answer
//! 403 `session_reverification_required` when the session's last code is older than
//! `--reverification-secs`). The code has the limits and lock-outs of sign-in codes.

use super::me::{Me, me_of};
use super::{reply_with, required, strategy};
use crate::domain::{Identifier, IdentifierKind};
use crate::error::ApiError;
use crate::extract::{Body, ClientAuth};
use crate::present;
use crate::state::AppState;
use crate::store::CompletionKind;
use crate::verification::{self, Purpose, SendContext};
use axum::extract::{Path, State};
use axum::response::Response;
use otp_proto::{AttemptVerification, PrepareFirstFactor, Strategy, VerifySession};

/// `POST /v1/client/sessions/{id}/verify`: where the session's reverification stands
/// (`complete` while its last code is recent, else `needs_first_factor` with the factors a code
/// can go to). `level` is `first_factor`; the other levels fall back to it.
pub async fn start(
    State(state): State<AppState>,
    auth: ClientAuth,
    Path(id): Path<String>,
    Body(req): Body<VerifySession>,
) -> Result<Response, ApiError> {
    let level = required(&req.level, "level")?;
    if !matches!(level, "first_factor" | "second_factor" | "multi_factor") {
        return Err(ApiError::Invalid {
            param: Some("level"),
            message: format!(
                "level must be first_factor, second_factor or multi_factor, not {level:?}."
            ),
        });
    }
    let me = session_of(&state, auth, id).await?;
    respond(&state, &me).await
}

/// `POST /v1/client/sessions/{id}/verify/prepare_first_factor`: sends a code to one of the
/// user's verified identifiers (`phone_number_id` or `email_address_id`, or the only one of the
/// strategy's kind).
pub async fn prepare_first_factor(
    State(state): State<AppState>,
    auth: ClientAuth,
    request: SendContext,
    Path(id): Path<String>,
    Body(req): Body<PrepareFirstFactor>,
) -> Result<Response, ApiError> {
    let strategy = strategy(&req.strategy)?;
    let me = session_of(&state, auth, id).await?;
    let verified = me.user.identifiers.iter().filter(|i| i.verified);
    let factor = verification::chosen_factor(verified, strategy, &req)?;
    let to = factor.identifier();
    let owner = me.session.id.clone();
    verification::send(
        &state,
        &owner,
        strategy,
        &to,
        Some(&factor.id),
        &request,
        Purpose::Code,
    )
    .await?;
    respond(&state, &me).await
}

/// `POST /v1/client/sessions/{id}/verify/attempt_first_factor`: a right code makes the session
/// verified now (`factor_verification_age` back to 0); the client token does not change.
pub async fn attempt_first_factor(
    State(state): State<AppState>,
    auth: ClientAuth,
    Path(id): Path<String>,
    Body(req): Body<AttemptVerification>,
) -> Result<Response, ApiError> {
    let strategy = strategy(&req.strategy)?;
    let typed = required(&req.code, "code")?;
    let me = session_of(&state, auth, id).await?;
    let code = state
        .store
        .code(&me.session.id)
        .await?
        .ok_or(ApiError::VerificationExpired { prepared: false })?;
    if code.strategy != strategy {
        return Err(ApiError::StrategyInvalid("strategy"));
    }
    let kind = match strategy {
        Strategy::PhoneCode => IdentifierKind::Phone,
        Strategy::EmailCode => IdentifierKind::Email,
    };
    let to = Identifier::from_stored(kind.as_str(), code.sent_to.clone());
    let completion = CompletionKind::Reverify {
        session_id: me.session.id.clone(),
    };
    verification::check(
        &state,
        &me.ctx.client.id,
        &me.session.id,
        &to,
        typed,
        completion,
    )
    .await?;
    // Read again: the session's verification time changed.
    let session_id = me.session.id.clone();
    let me = me_of(&state, me.ctx, Some(&session_id)).await?;
    respond(&state, &me).await
}

/// The caller's active session `id` with its user; any other is `resource_not_found`.
async fn session_of(state: &AppState, auth: ClientAuth, id: String) -> Result<Me, ApiError> {
    let ctx = auth.0.ok_or(ApiError::NotFound)?;
    me_of(state, ctx, Some(&id)).await.map_err(|e| match e {
        ApiError::SessionInactive => ApiError::NotFound,
        other => other,
    })
}

async fn respond(state: &AppState, me: &Me) -> Result<Response, ApiError> {
    let code = state.store.code(&me.session.id).await?;
    let body = present::session_verification(
        &me.session,
        &me.user,
        code.as_ref(),
        state.now(),
        &state.config.policy,
    );
    reply_with(state, &me.ctx, &me.client_state, body)
}
