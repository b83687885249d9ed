//! The signed-in user's phone numbers and email addresses, under Clerk's
//! `/v1/me/email_addresses` and `/v1/me/phone_numbers`: add one (unverified), send it a code,
//! type the code back (it becomes theirs, unless another user verified it first), remove one.
//! Every handler exists once per kind, as a thin wrapper over the same function.
//!
//! An added identifier gets the codes, limits and lock-outs of sign-in codes; until verified it
//! signs nobody in and blocks nobody's sign-up. Whether another user has it is never told before
//! its code is typed back (that would tell who has an account).

use super::me::{Me, SessionQuery, require_recent_verification, signed_in};
use super::{reply, required, strategy};
use crate::delivery::MessageKind;
use crate::domain::{EmailAddress, Identifier, IdentifierKind, PhoneNumber};
use crate::error::ApiError;
use crate::extract::{Body, ClientAuth};
use crate::ids::new_id;
use crate::present;
use crate::rate_limit::SendLimits;
use crate::state::AppState;
use crate::store::{CompletionKind, IdentifierRow, Notices};
use crate::verification::{self, Purpose, SendContext};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use otp_proto::{AddIdentifier, AttemptVerification, DeletedObject, PrepareVerification};
use serde::Serialize;

/// Identifiers a user may add per hour (each sends codes: the send limits apply as well).
const ADDS_PER_HOUR: u32 = 10;

/// Generates, for one kind, the handlers of its routes (`list`, `add`, `get`, `remove`,
/// `prepare`, `attempt`), each a call of the function of the same name below.
macro_rules! handlers_for {
    ($module:ident, $kind:expr) => {
        pub mod $module {
            use super::*;

            /// `GET /v1/me/…`: the user's identifiers of this kind, as a bare array.
            pub async fn list(
                state: State<AppState>,
                auth: ClientAuth,
                query: Query<SessionQuery>,
            ) -> Result<Response, ApiError> {
                super::list(state, auth, query, $kind).await
            }

            /// `POST /v1/me/…`: adds one, unverified.
            pub async fn add(
                state: State<AppState>,
                auth: ClientAuth,
                query: Query<SessionQuery>,
                body: Body<AddIdentifier>,
            ) -> Result<Response, ApiError> {
                super::add(state, auth, query, body, $kind).await
            }

            /// `GET /v1/me/…/{id}`.
            pub async fn get(
                state: State<AppState>,
                auth: ClientAuth,
                query: Query<SessionQuery>,
                id: Path<String>,
            ) -> Result<Response, ApiError> {
                super::get(state, auth, query, id, $kind).await
            }

            /// `DELETE /v1/me/…/{id}`.
            pub async fn remove(
                state: State<AppState>,
                auth: ClientAuth,
                query: Query<SessionQuery>,
                request: SendContext,
                id: Path<String>,
            ) -> Result<Response, ApiError> {
                super::remove(state, auth, query, request, id, $kind).await
            }

            /// `POST /v1/me/…/{id}/prepare_verification`.
            pub async fn prepare(
                state: State<AppState>,
                auth: ClientAuth,
                query: Query<SessionQuery>,
                request: SendContext,
                id: Path<String>,
                body: Body<PrepareVerification>,
            ) -> Result<Response, ApiError> {
                super::prepare(state, auth, query, request, id, body, $kind).await
            }

            /// `POST /v1/me/…/{id}/attempt_verification`.
            pub async fn attempt(
                state: State<AppState>,
                auth: ClientAuth,
                query: Query<SessionQuery>,
                request: SendContext,
                id: Path<String>,
                body: Body<AttemptVerification>,
            ) -> Result<Response, ApiError> {
                super::attempt(state, auth, query, request, id, body, $kind).await
            }
        }
    };
}

handlers_for!(emails, IdentifierKind::Email);
handlers_for!(phones, IdentifierKind::Phone);

/// An email address or a phone number, as Clerk shapes each.
#[derive(Serialize)]
#[serde(untagged)]
enum Shown {
    Email(otp_proto::EmailAddress),
    Phone(otp_proto::PhoneNumber),
}

/// The identifier as the client sees it, with the state of the code sent to it.
async fn show(state: &AppState, row: &IdentifierRow) -> Result<Shown, ApiError> {
    let code = if row.verified {
        None
    } else {
        state.store.code(&row.id).await?
    };
    let now = state.now();
    Ok(match row.kind {
        IdentifierKind::Email => Shown::Email(present::email_address(row, code.as_ref(), now)),
        IdentifierKind::Phone => Shown::Phone(present::phone_number(row, code.as_ref(), now)),
    })
}

/// The user's identifier `id` of this kind; another's, or another kind's, is not found.
fn theirs(me: &Me, id: &str, kind: IdentifierKind) -> Result<IdentifierRow, ApiError> {
    me.user
        .identifiers
        .iter()
        .find(|i| i.id == id && i.kind == kind)
        .cloned()
        .ok_or(ApiError::NotFound)
}

async fn list(
    State(state): State<AppState>,
    auth: ClientAuth,
    Query(query): Query<SessionQuery>,
    kind: IdentifierKind,
) -> Result<Response, ApiError> {
    let me = signed_in(&state, auth, query).await?;
    let mut shown = Vec::new();
    for row in me.user.identifiers.iter().filter(|i| i.kind == kind) {
        shown.push(show(&state, row).await?);
    }
    let mut res = axum::Json(shown).into_response();
    super::with_token(&mut res, &me.ctx)?;
    Ok(res)
}

async fn add(
    State(state): State<AppState>,
    auth: ClientAuth,
    Query(query): Query<SessionQuery>,
    Body(req): Body<AddIdentifier>,
    kind: IdentifierKind,
) -> Result<Response, ApiError> {
    let field = kind.field();
    let raw = match kind {
        IdentifierKind::Email => &req.email_address,
        IdentifierKind::Phone => &req.phone_number,
    };
    let raw = required(raw, field)?;
    let me = signed_in(&state, auth, query).await?;
    // A new way to sign in is a way into the account: only on a recently verified session
    // (else a stolen, stale session could add its own email, then reverify with it).
    require_recent_verification(&state, &me)?;
    let identifier = match kind {
        IdentifierKind::Email => EmailAddress::parse(raw).map(Identifier::Email),
        IdentifierKind::Phone => {
            PhoneNumber::parse(raw, state.default_region).map(Identifier::Phone)
        }
    }
    .map_err(|e| ApiError::Invalid {
        param: Some(field),
        message: format!("{field} {e}."),
    })?;
    let now = state.now();
    let limit = SendLimits {
        min_interval_ms: 0,
        per_hour: ADDS_PER_HOUR,
    };
    state
        .store
        .admit(&[(format!("create:identifier:{}", me.user.id), limit)], now)
        .await?;
    let id = new_id(&state.random, "idn")?;
    state
        .store
        .add_identifier(&me.user.id, &id, &identifier, now)
        .await
        .map_err(|e| match ApiError::from(e) {
            ApiError::IdentifierExists(_) => ApiError::IdentifierExists(field),
            other => other,
        })?;
    let row = IdentifierRow {
        id,
        kind,
        value: identifier.as_str().to_owned(),
        created_at: now,
        verified: false,
    };
    let shown = show(&state, &row).await?;
    reply(&state, &me.ctx, shown).await
}

async fn get(
    State(state): State<AppState>,
    auth: ClientAuth,
    Query(query): Query<SessionQuery>,
    Path(id): Path<String>,
    kind: IdentifierKind,
) -> Result<Response, ApiError> {
    let me = signed_in(&state, auth, query).await?;
    let row = theirs(&me, &id, kind)?;
    let shown = show(&state, &row).await?;
    super::reply_with(&state, &me.ctx, &me.client_state, shown)
}

/// Removing a verified identifier needs a recent verification (an unverified one is only a
/// typo to take back) and tells the user's identifiers, the removed one included; the last verified one cannot go (`identification_deletion_failed`). Sessions are
/// not ended.
async fn remove(
    State(state): State<AppState>,
    auth: ClientAuth,
    Query(query): Query<SessionQuery>,
    request: SendContext,
    Path(id): Path<String>,
    kind: IdentifierKind,
) -> Result<Response, ApiError> {
    let me = signed_in(&state, auth, query).await?;
    let row = theirs(&me, &id, kind)?;
    let recent = require_recent_verification(&state, &me).is_ok();
    if row.verified && !recent {
        return Err(ApiError::ReverificationRequired);
    }
    // Made whenever they may be needed: the identifier may be verified by the time the store
    // removes it (which then needs them, and the recent verification).
    let notices = if recent {
        verification::change_notices(
            &state,
            &me.user,
            &row.identifier(),
            &id,
            MessageKind::IdentifierRemoved,
            request.locale.as_deref(),
        )?
    } else {
        Notices::default()
    };
    state
        .store
        .remove_identifier(&me.user.id, &id, recent, &notices, state.now())
        .await?;
    verification::print_notices(&state, &notices);
    let deleted = DeletedObject {
        object: match kind {
            IdentifierKind::Email => "email_address".into(),
            IdentifierKind::Phone => "phone_number".into(),
        },
        id: Some(id),
        deleted: true,
    };
    reply(&state, &me.ctx, deleted).await
}

async fn prepare(
    State(state): State<AppState>,
    auth: ClientAuth,
    Query(query): Query<SessionQuery>,
    request: SendContext,
    Path(id): Path<String>,
    Body(req): Body<PrepareVerification>,
    kind: IdentifierKind,
) -> Result<Response, ApiError> {
    let strategy = strategy(&req.strategy)?;
    let me = signed_in(&state, auth, query).await?;
    let row = theirs(&me, &id, kind)?;
    if strategy != kind.strategy() {
        return Err(ApiError::StrategyInvalid("strategy"));
    }
    if row.verified {
        return Err(ApiError::VerificationAlreadyVerified);
    }
    let to = row.identifier();
    verification::send(
        &state,
        &id,
        strategy,
        &to,
        Some(&id),
        &request,
        Purpose::Code,
    )
    .await?;
    let shown = show(&state, &row).await?;
    reply(&state, &me.ctx, shown).await
}

/// A right code makes the identifier the user's, and tells their other verified identifiers.
async fn attempt(
    State(state): State<AppState>,
    auth: ClientAuth,
    Query(query): Query<SessionQuery>,
    request: SendContext,
    Path(id): Path<String>,
    Body(req): Body<AttemptVerification>,
    kind: IdentifierKind,
) -> Result<Response, ApiError> {
    let typed = required(&req.code, "code")?;
    let me = signed_in(&state, auth, query).await?;
    let mut row = theirs(&me, &id, kind)?;
    if row.verified {
        return Err(ApiError::VerificationAlreadyVerified);
    }
    let to = row.identifier();
    let notices = verification::change_notices(
        &state,
        &me.user,
        &to,
        &id,
        MessageKind::IdentifierAdded,
        request.locale.as_deref(),
    )?;
    let completion = CompletionKind::AddIdentifier {
        user_id: me.user.id.clone(),
        identifier_id: id.clone(),
        notices: notices.clone(),
    };
    verification::check(&state, &me.ctx.client.id, &id, &to, typed, completion)
        .await
        .map_err(|e| match e {
            ApiError::IdentifierExists(_) => ApiError::IdentifierExists(kind.field()),
            other => other,
        })?;
    verification::print_notices(&state, &notices);
    row.verified = true;
    row.created_at = state.now();
    let shown = show(&state, &row).await?;
    reply(&state, &me.ctx, shown).await
}
