//! Sign-up: create with a phone number or email, prepare (send a code), attempt (check it).
//! A correct code creates the user and an active session in one transaction.
//!
//! With enumeration protection (the default) an identifier that has an account gets the same
//! answers as a new one: its prepare tells the owner that someone tried to sign up (no code),
//! and its attempts are all `form_code_incorrect` until the usual limits and lock-outs.

use super::{reply_with, required, strategy};
use crate::domain::{EmailAddress, Identifier, PhoneNumber};
use crate::error::ApiError;
use crate::extract::{Body, ClientAuth, ClientCtx};
use crate::ids::new_id;
use crate::present;
use crate::state::AppState;
use crate::store::{CompletionKind, SignUpRow};
use crate::verification::{self, Create, Purpose, SendContext};
use axum::extract::{Path, State};
use axum::response::Response;
use otp_proto::{AttemptVerification, CreateSignUp, PrepareVerification, SignUpStatus};

/// `POST /v1/client/sign_ups`
pub async fn create_sign_up(
    State(state): State<AppState>,
    auth: ClientAuth,
    request: SendContext,
    Body(req): Body<CreateSignUp>,
) -> Result<Response, ApiError> {
    verification::admit_create(&state, &request, Create::SignUp, auth.0.is_none()).await?;
    let identifier = match (non_empty(&req.phone_number), non_empty(&req.email_address)) {
        (Some(phone), None) => PhoneNumber::parse(phone, state.default_region)
            .map(Identifier::Phone)
            .map_err(|e| ApiError::Invalid {
                param: Some("phone_number"),
                message: format!("phone_number {e}."),
            })?,
        (None, Some(email)) => EmailAddress::parse(email)
            .map(Identifier::Email)
            .map_err(|e| ApiError::Invalid {
                param: Some("email_address"),
                message: format!("email_address {e}."),
            })?,
        (None, None) => return Err(ApiError::Missing("phone_number")),
        (Some(_), Some(_)) => {
            return Err(ApiError::Invalid {
                param: Some("email_address"),
                message: "Give either a phone number or an email address, not both.".into(),
            });
        }
    };
    let ctx = auth.or_new(&state)?;
    let id = new_id(&state.random, "sua")?;
    let now = state.now();
    let abandon_at = now + state.config.policy.attempt_ttl_ms();
    if state.config.protection.enumeration_protection {
        state
            .store
            .create_sign_up_even_if_taken(&id, ctx.key(), &identifier, now, abandon_at)
            .await?;
        return respond(&state, &ctx, &id).await;
    }
    state
        .store
        .create_sign_up(&id, ctx.key(), &identifier, now, abandon_at)
        .await
        .map_err(|e| match ApiError::from(e) {
            ApiError::IdentifierExists(_) => ApiError::IdentifierExists(identifier.kind().field()),
            other => other,
        })?;
    respond(&state, &ctx, &id).await
}

/// `GET /v1/client/sign_ups/{id}`
pub async fn get_sign_up(
    State(state): State<AppState>,
    auth: ClientAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let ctx = auth.0.ok_or(ApiError::NotFound)?;
    owned(&state, &ctx, &id).await?;
    respond(&state, &ctx, &id).await
}

/// `POST /v1/client/sign_ups/{id}/prepare_verification`
pub async fn prepare_verification(
    State(state): State<AppState>,
    auth: ClientAuth,
    request: SendContext,
    Path(id): Path<String>,
    Body(req): Body<PrepareVerification>,
) -> Result<Response, ApiError> {
    let strategy = strategy(&req.strategy)?;
    let ctx = auth.0.ok_or(ApiError::NotFound)?;
    let (sign_up, taken) = open(&state, &ctx, &id).await?;
    verification::ensure_strategy(strategy, &sign_up.identifier)?;
    let purpose = if taken {
        Purpose::SignUpNotice
    } else {
        Purpose::Code
    };
    verification::send(
        &state,
        &id,
        strategy,
        &sign_up.identifier,
        None,
        &request,
        purpose,
    )
    .await?;
    respond(&state, &ctx, &id).await
}

/// `POST /v1/client/sign_ups/{id}/attempt_verification`
pub async fn attempt_verification(
    State(state): State<AppState>,
    auth: ClientAuth,
    Path(id): Path<String>,
    Body(req): Body<AttemptVerification>,
) -> Result<Response, ApiError> {
    let strategy = strategy(&req.strategy)?;
    let typed = required(&req.code, "code")?;
    let mut ctx = auth.0.ok_or(ApiError::NotFound)?;
    let sign_up = owned(&state, &ctx, &id).await?;
    verification::ensure_strategy(strategy, &sign_up.identifier)?;
    if sign_up.status == SignUpStatus::Complete {
        return Err(ApiError::VerificationAlreadyVerified);
    }
    abandoned(&state, &sign_up)?;
    let kind = CompletionKind::SignUp {
        user_id: new_id(&state.random, "user")?,
        identifier_id: new_id(&state.random, "idn")?,
    };
    // Enumeration protection: a taken identifier's code is never right (the check is made for
    // every sign-up, so both cases do the same work).
    let kind = if state.config.protection.enumeration_protection
        && taken(&state, &sign_up.identifier).await?
    {
        CompletionKind::Decoy
    } else {
        kind
    };
    let token = verification::check(
        &state,
        &ctx.client.id,
        &id,
        &sign_up.identifier,
        typed,
        kind,
    )
    .await
    .map_err(|e| match e {
        ApiError::IdentifierExists(_) => {
            ApiError::IdentifierExists(sign_up.identifier.kind().field())
        }
        other => other,
    })?;
    if let Some(token) = token {
        ctx.token = token;
    }
    respond(&state, &ctx, &id).await
}

/// The sign-up if it belongs to the caller's client; another client's is "not found".
async fn owned(state: &AppState, ctx: &ClientCtx, id: &str) -> Result<SignUpRow, ApiError> {
    match state.store.sign_up(id).await? {
        Some(s) if s.client_id == ctx.client.id => Ok(s),
        _ => Err(ApiError::NotFound),
    }
}

/// The sign-up if it is the caller's and can still take a code, and whether its identifier has
/// an account (then only with enumeration protection).
async fn open(state: &AppState, ctx: &ClientCtx, id: &str) -> Result<(SignUpRow, bool), ApiError> {
    let sign_up = owned(state, ctx, id).await?;
    if sign_up.status == SignUpStatus::Complete {
        return Err(ApiError::VerificationAlreadyVerified);
    }
    abandoned(state, &sign_up)?;
    // The identifier may have been taken all along (enumeration protection), or someone else
    // may have completed a sign-up of it since: send no code for it.
    let taken = taken(state, &sign_up.identifier).await?;
    if taken && !state.config.protection.enumeration_protection {
        return Err(ApiError::IdentifierExists(
            sign_up.identifier.kind().field(),
        ));
    }
    Ok((sign_up, taken))
}

/// Whether a user has the identifier (the same single lookup either way).
async fn taken(state: &AppState, identifier: &Identifier) -> Result<bool, ApiError> {
    Ok(state.store.identifier_taken(identifier).await?)
}

fn abandoned(state: &AppState, sign_up: &SignUpRow) -> Result<(), ApiError> {
    if state.now() >= sign_up.abandon_at {
        Err(ApiError::NotFound)
    } else {
        Ok(())
    }
}

async fn respond(state: &AppState, ctx: &ClientCtx, id: &str) -> Result<Response, ApiError> {
    // The client in the answer holds the current sign-up: read it once.
    let client_state = state.store.client_state(&ctx.client.id).await?;
    let row = match client_state.sign_up.as_ref().filter(|r| r.id == id) {
        Some(row) => row.clone(),
        None => state.store.sign_up(id).await?.ok_or(ApiError::NotFound)?,
    };
    reply_with(
        state,
        ctx,
        &client_state,
        present::sign_up(&row, state.now()),
    )
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.trim().is_empty())
}
