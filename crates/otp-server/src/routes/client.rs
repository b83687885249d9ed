//! The client: what this device has going on.

use super::with_token;
use crate::error::ApiError;
use crate::extract::ClientAuth;
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use otp_proto::{Client, Envelope};

/// `GET /v1/client`: `{"response": <client>|null, "client": null}`. Reading never creates a
/// client: a device with no valid token gets `null`.
pub async fn get_client(
    State(state): State<AppState>,
    auth: ClientAuth,
) -> Result<Response, ApiError> {
    let Some(ctx) = auth.0 else {
        return Ok(axum::Json(Envelope::<Option<Client>> {
            response: None,
            client: None,
        })
        .into_response());
    };
    let client_state = state.store.client_state(&ctx.client.id).await?;
    let client = super::present_client(&state, &client_state)?;
    let mut res = axum::Json(Envelope {
        response: Some(client),
        client: None,
    })
    .into_response();
    with_token(&mut res, &ctx)?;
    Ok(res)
}
