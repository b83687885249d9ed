//! The HTTP API: one file per flow. The router is built from [`routes`], a table of
//! (method, path, handler), which is also what the OpenAPI test compares with
//! `openapi.json`, so the published document cannot drift from what is served.

mod client;
mod dev;
mod environment;
mod identifiers;
mod me;
mod meta;
mod reverify;
mod session;
mod sign_in;
mod sign_up;

use crate::error::ApiError;
use crate::extract::ClientCtx;
use crate::state::AppState;
use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post};
use otp_proto::Envelope;
use serde::Serialize;

/// Every route: method, path (axum syntax), handler. Dev-only routes are marked.
pub fn routes(dev: bool) -> Vec<(&'static str, &'static str, MethodRouter<AppState>)> {
    let mut table: Vec<(&'static str, &'static str, MethodRouter<AppState>)> = vec![
        ("get", "/healthz", get(meta::healthz)),
        ("get", "/.well-known/jwks.json", get(meta::jwks)),
        ("get", "/v1/openapi.json", get(meta::openapi)),
        ("get", "/v1/environment", get(environment::get_environment)),
        (
            "patch",
            "/v1/environment",
            patch(environment::get_environment),
        ),
        ("get", "/v1/client", get(client::get_client)),
        ("post", "/v1/client/sign_ups", post(sign_up::create_sign_up)),
        ("get", "/v1/client/sign_ups/{id}", get(sign_up::get_sign_up)),
        (
            "post",
            "/v1/client/sign_ups/{id}/prepare_verification",
            post(sign_up::prepare_verification),
        ),
        (
            "post",
            "/v1/client/sign_ups/{id}/attempt_verification",
            post(sign_up::attempt_verification),
        ),
        ("post", "/v1/client/sign_ins", post(sign_in::create_sign_in)),
        ("get", "/v1/client/sign_ins/{id}", get(sign_in::get_sign_in)),
        (
            "post",
            "/v1/client/sign_ins/{id}/prepare_first_factor",
            post(sign_in::prepare_first_factor),
        ),
        (
            "post",
            "/v1/client/sign_ins/{id}/attempt_first_factor",
            post(sign_in::attempt_first_factor),
        ),
        (
            "delete",
            "/v1/client/sessions",
            delete(session::end_all_sessions),
        ),
        (
            "post",
            "/v1/client/sessions/{id}/touch",
            post(session::touch_session),
        ),
        (
            "post",
            "/v1/client/sessions/{id}/end",
            post(session::end_session),
        ),
        (
            "post",
            "/v1/client/sessions/{id}/tokens",
            post(session::create_session_token),
        ),
        (
            "post",
            "/v1/client/sessions/{id}/verify",
            post(reverify::start),
        ),
        (
            "post",
            "/v1/client/sessions/{id}/verify/prepare_first_factor",
            post(reverify::prepare_first_factor),
        ),
        (
            "post",
            "/v1/client/sessions/{id}/verify/attempt_first_factor",
            post(reverify::attempt_first_factor),
        ),
        ("get", "/v1/me", get(me::get_me)),
        ("patch", "/v1/me", patch(me::update_me)),
        ("delete", "/v1/me", delete(me::delete_me)),
        ("get", "/v1/me/sessions/active", get(me::active_sessions)),
        (
            "post",
            "/v1/me/sessions/{id}/revoke",
            post(me::revoke_session),
        ),
    ];
    // The user's identifiers: the same routes for each kind (clerk-js adds with a trailing
    // slash).
    for (method, path, handler) in [
        (
            "get",
            "/v1/me/email_addresses",
            get(identifiers::emails::list),
        ),
        (
            "post",
            "/v1/me/email_addresses",
            post(identifiers::emails::add),
        ),
        (
            "post",
            "/v1/me/email_addresses/",
            post(identifiers::emails::add),
        ),
        (
            "get",
            "/v1/me/email_addresses/{id}",
            get(identifiers::emails::get),
        ),
        (
            "delete",
            "/v1/me/email_addresses/{id}",
            delete(identifiers::emails::remove),
        ),
        (
            "post",
            "/v1/me/email_addresses/{id}/prepare_verification",
            post(identifiers::emails::prepare),
        ),
        (
            "post",
            "/v1/me/email_addresses/{id}/attempt_verification",
            post(identifiers::emails::attempt),
        ),
        (
            "get",
            "/v1/me/phone_numbers",
            get(identifiers::phones::list),
        ),
        (
            "post",
            "/v1/me/phone_numbers",
            post(identifiers::phones::add),
        ),
        (
            "post",
            "/v1/me/phone_numbers/",
            post(identifiers::phones::add),
        ),
        (
            "get",
            "/v1/me/phone_numbers/{id}",
            get(identifiers::phones::get),
        ),
        (
            "delete",
            "/v1/me/phone_numbers/{id}",
            delete(identifiers::phones::remove),
        ),
        (
            "post",
            "/v1/me/phone_numbers/{id}/prepare_verification",
            post(identifiers::phones::prepare),
        ),
        (
            "post",
            "/v1/me/phone_numbers/{id}/attempt_verification",
            post(identifiers::phones::attempt),
        ),
    ] {
        table.push((method, path, handler));
    }
    if dev {
        table.push(("get", "/v1/dev/outbox", get(dev::dev_outbox)));
    }
    table
}

/// The router with every route of [`routes`], a JSON 404 `resource_not_found` for any other path
/// and a JSON 405 `method_not_allowed` (with `Allow`) for a path's other methods.
pub fn router(state: AppState) -> Router {
    let dev = state.delivery.is_dev();
    let mut router = Router::new();
    for (_, path, handler) in routes(dev) {
        router = router.route(path, handler);
    }
    // After the routes: it applies to those already added.
    router
        .route_layer(axum::middleware::from_fn(crate::telemetry::track))
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .fallback(|| async { ApiError::NotFound })
        .with_state(state)
}

/// The success envelope: `response`, the caller's whole client as it is now, and its token (in
/// the `Authorization` header, or the browser's cookie; the SDK keeps the latest one).
async fn reply<T: Serialize>(
    state: &AppState,
    ctx: &ClientCtx,
    response: T,
) -> Result<Response, ApiError> {
    let client_state = state.store.client_state(&ctx.client.id).await?;
    reply_with(state, ctx, &client_state, response)
}

/// [`reply`] with the client already loaded (the response is often part of it).
fn reply_with<T: Serialize>(
    state: &AppState,
    ctx: &ClientCtx,
    client_state: &crate::store::ClientState,
    response: T,
) -> Result<Response, ApiError> {
    let client = present_client(state, client_state)?;
    let mut res = axum::Json(Envelope {
        response,
        client: Some(client),
    })
    .into_response();
    with_token(&mut res, ctx)?;
    Ok(res)
}

/// The client as it is now, each active session with a fresh session JWT in
/// `last_active_token`, as Clerk sends it: clerk-js's `getToken()` then needs no request.
fn present_client(
    state: &AppState,
    client_state: &crate::store::ClientState,
) -> Result<otp_proto::Client, ApiError> {
    let now = state.now();
    let protection = state.config.protection.enumeration_protection;
    let mut client = crate::present::client(client_state, now, &state.config.policy, !protection);
    if protection {
        // Only a real account's message can be slow or fail: a sign-in's delivery status would
        // tell it from a decoy's, whose message goes nowhere. (A sign-up's stays: both of its
        // cases send a real message, the code or the owner's notice.)
        client.sign_in_delivery_status = None;
    }
    for session in client
        .sessions
        .iter_mut()
        .filter(|s| s.status == otp_proto::SessionStatus::Active)
    {
        let verified_minutes = session
            .factor_verification_age
            .first()
            .copied()
            .unwrap_or(0);
        let jwt = state
            .jwt
            .current(&session.user.id, &session.id, verified_minutes, now)?;
        session.last_active_token = Some(otp_proto::Token {
            object: "token".into(),
            jwt,
        });
    }
    Ok(client)
}

/// Adds the client token to a response, the way the request carried it.
fn with_token(res: &mut Response, ctx: &ClientCtx) -> Result<(), ApiError> {
    ctx.transport.attach(res, &ctx.token)
}

/// Reads a required parameter, or says which one is missing.
fn required<'a>(value: &'a Option<String>, name: &'static str) -> Result<&'a str, ApiError> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(ApiError::Missing(name))
}

/// Reads the `strategy` parameter.
fn strategy(value: &Option<String>) -> Result<otp_proto::Strategy, ApiError> {
    let s = required(value, "strategy")?;
    otp_proto::Strategy::parse(s).ok_or_else(|| ApiError::Invalid {
        param: Some("strategy"),
        message: format!("strategy must be phone_code or email_code, not {s:?}."),
    })
}
