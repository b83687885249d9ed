//! Sign-in: create with an identifier (which lists the user's factors), prepare the first factor
//! (send a code to the chosen phone number or email), attempt it (a correct code creates a session).
//!
//! With enumeration protection (the default) an identifier nobody has gets a decoy sign-in: the
//! same answer, showing the identifier as its one factor, whose prepare sends nothing and whose
//! attempts are all `form_code_incorrect` until the usual limits and lock-outs.

use super::{reply_with, required, strategy};
use crate::domain::{Identifier, IdentifierKind};
use crate::error::ApiError;
use crate::extract::{Body, ClientAuth, ClientCtx};
use crate::ids::new_id;
use crate::present;
use crate::state::AppState;
use crate::store::{CompletionKind, IdentifierRow, SignInRow};
use crate::verification::{self, Create, Purpose, SendContext};
use axum::extract::{Path, State};
use axum::response::Response;
use otp_proto::{AttemptVerification, CreateSignIn, PrepareFirstFactor, SignInStatus, Strategy};

/// `POST /v1/client/sign_ins`
pub async fn create_sign_in(
    State(state): State<AppState>,
    auth: ClientAuth,
    request: SendContext,
    Body(req): Body<CreateSignIn>,
) -> Result<Response, ApiError> {
    verification::admit_create(&state, &request, Create::SignIn, auth.0.is_none()).await?;
    let raw = required(&req.identifier, "identifier")?;
    let identifier =
        Identifier::parse_any(raw, state.default_region).map_err(|e| ApiError::Invalid {
            param: Some("identifier"),
            message: format!("identifier {e}."),
        })?;
    if state.config.protection.enumeration_protection {
        let factor_id = verification::decoy_factor_id(&state, &identifier)?;
        let ctx = auth.or_new(&state)?;
        let id = new_id(&state.random, "sia")?;
        let now = state.now();
        state
            .store
            .create_sign_in_or_decoy(
                &id,
                ctx.key(),
                &identifier,
                &factor_id,
                now,
                now + state.config.policy.attempt_ttl_ms(),
            )
            .await?;
        return respond(&state, &ctx, &id).await;
    }
    let user = state
        .store
        .user_by_identifier(&identifier)
        .await?
        .ok_or(ApiError::IdentifierNotFound)?;
    let ctx = auth.or_new(&state)?;
    let id = new_id(&state.random, "sia")?;
    let now = state.now();
    state
        .store
        .create_sign_in(
            &id,
            ctx.key(),
            &identifier,
            &user.id,
            now,
            now + state.config.policy.attempt_ttl_ms(),
        )
        .await?;
    respond(&state, &ctx, &id).await
}

/// `GET /v1/client/sign_ins/{id}`
pub async fn get_sign_in(
    State(state): State<AppState>,
    auth: ClientAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = auth.0.ok_or(ApiError::NotFound)?;
    owned(&state, &ctx, &id).await?;
    respond(&state, &ctx, &id).await
}

/// `POST /v1/client/sign_ins/{id}/prepare_first_factor`
pub async fn prepare_first_factor(
    State(state): State<AppState>,
    auth: ClientAuth,
    request: SendContext,
    Path(id): Path<String>,
    Body(req): Body<PrepareFirstFactor>,
) -> Result<Response, ApiError> {
    let strategy = strategy(&req.strategy)?;
    let ctx = auth.0.ok_or(ApiError::NotFound)?;
    let sign_in = open(&state, &ctx, &id).await?;
    // Under enumeration protection only the identifier typed is a factor (as for a decoy:
    // another would tell a real account).
    let protection = state.config.protection.enumeration_protection;
    let factors = sign_in
        .factors
        .iter()
        .filter(|f| !protection || is_typed(&sign_in, f));
    let factor = verification::chosen_factor(factors, strategy, &req)?;
    let to = factor.identifier();
    let purpose = if sign_in.user_id.is_some() {
        Purpose::Code
    } else {
        Purpose::Decoy
    };
    verification::send(
        &state,
        &id,
        strategy,
        &to,
        Some(&factor.id),
        &request,
        purpose,
    )
    .await?;
    respond(&state, &ctx, &id).await
}

/// `POST /v1/client/sign_ins/{id}/attempt_first_factor`
pub async fn attempt_first_factor(
    State(state): State<AppState>,
    auth: ClientAuth,
    Path(id): Path<String>,
    Body(req): Body<AttemptVerification>,
) -> Result<Response, ApiError> {
    let strategy = strategy(&req.strategy)?;
    let typed = required(&req.code, "code")?;
    let mut ctx = auth.0.ok_or(ApiError::NotFound)?;
    let sign_in = open(&state, &ctx, &id).await?;
    let code_row = sign_in
        .code
        .as_ref()
        .ok_or(ApiError::VerificationExpired { prepared: false })?;
    if code_row.strategy != strategy {
        return Err(ApiError::StrategyInvalid("strategy"));
    }
    // Failures count against the factor the code was sent to.
    let kind = if strategy == Strategy::EmailCode {
        IdentifierKind::Email
    } else {
        IdentifierKind::Phone
    };
    let to = Identifier::from_stored(kind.as_str(), code_row.sent_to.clone());
    // The code went to an identifier the user has removed since: it signs nobody in.
    if !sign_in
        .factors
        .iter()
        .any(|f| f.kind == to.kind() && f.identifier().key() == to.key())
    {
        return Err(ApiError::VerificationExpired { prepared: true });
    }
    let kind = match sign_in.user_id {
        Some(user_id) => CompletionKind::SignIn { user_id },
        None => CompletionKind::Decoy,
    };
    if let Some(token) = verification::check(&state, &ctx.client.id, &id, &to, typed, kind).await? {
        ctx.token = token;
    }
    respond(&state, &ctx, &id).await
}

/// Whether `factor` is the identifier the sign-in was created with.
fn is_typed(sign_in: &SignInRow, factor: &IdentifierRow) -> bool {
    factor.identifier().key() == sign_in.identifier.key()
}

async fn owned(state: &AppState, ctx: &ClientCtx, id: &str) -> Result<SignInRow, ApiError> {
    match state.store.sign_in(id).await? {
        Some(s) if s.client_id == ctx.client.id => Ok(s),
        _ => Err(ApiError::NotFound),
    }
}

/// The sign-in if it is the caller's and can still take a code.
async fn open(state: &AppState, ctx: &ClientCtx, id: &str) -> Result<SignInRow, ApiError> {
    let sign_in = owned(state, ctx, id).await?;
    if sign_in.status == SignInStatus::Complete {
        return Err(ApiError::VerificationAlreadyVerified);
    }
    if state.now() >= sign_in.abandon_at {
        return Err(ApiError::NotFound);
    }
    Ok(sign_in)
}

async fn respond(state: &AppState, ctx: &ClientCtx, id: &str) -> Result<Response, ApiError> {
    // The client in the answer holds the current sign-in: read it once.
    let client_state = state.store.client_state(&ctx.client.id).await?;
    let row = match client_state.sign_in.as_ref().filter(|r| r.id == id) {
        Some(row) => row.clone(),
        None => state.store.sign_in(id).await?.ok_or(ApiError::NotFound)?,
    };
    reply_with(
        state,
        ctx,
        &client_state,
        present::sign_in(
            &row,
            state.now(),
            !state.config.protection.enumeration_protection,
        ),
    )
}
