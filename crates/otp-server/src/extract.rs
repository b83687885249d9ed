//! Extractors: request bodies in either encoding, the caller's client, the caller's address
//! (from [`Caller`], which `caller::identify` sets).
//! Their rejections use our error format, never axum's plain-text ones.

use crate::browser::Transport;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::ids::new_id;
use crate::state::AppState;
use crate::store::{ClientKey, ClientRow};
use crate::tokens::ClientToken;
use crate::verification::SendContext;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{ACCEPT_LANGUAGE, CONTENT_TYPE};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A request body, as `application/json` or `application/x-www-form-urlencoded` (the default
/// when no content type is given, as Clerk's SDKs send).
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::BodyTooLarge
            } else {
                ApiError::Invalid {
                    param: None,
                    message: "The request body could not be read.".into(),
                }
            }
        })?;
        let parsed = if is_json {
            let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
                &b"{}"[..]
            } else {
                &bytes[..]
            };
            serde_json::from_slice(bytes).map_err(|e| ApiError::Invalid {
                param: None,
                message: format!(
                    "The request body is not a valid JSON object of the expected shape: {e}."
                ),
            })
        } else {
            serde_urlencoded::from_bytes(&bytes).map_err(|e| ApiError::Invalid {
                param: None,
                message: format!("The request body is not valid form data: {e}."),
            })
        };
        parsed.map(Body)
    }
}

/// The caller's client, if its request carries a valid client token (in the `Authorization`
/// header, or in the browser's cookie: [`Transport`]), and how the token travels.
#[derive(Debug)]
pub struct ClientAuth(pub Option<ClientCtx>, pub Transport);

/// A known client and the token that names it in this exchange.
#[derive(Debug)]
pub struct ClientCtx {
    /// The client as stored.
    pub client: ClientRow,
    /// Its current token, handed back with every answer.
    pub token: ClientToken,
    /// How the token travels: `Authorization` header or cookie.
    pub transport: Transport,
    /// For a client not stored yet ([`ClientAuth::or_new`]): the hash of its token, for the
    /// request's first write to store it.
    unsaved_token_hash: Option<Vec<u8>>,
}

impl ClientCtx {
    /// The client, for a store operation that creates something for it (and stores it first if
    /// it is new).
    pub fn key(&self) -> ClientKey<'_> {
        ClientKey {
            id: &self.client.id,
            new_token_hash: self.unsaved_token_hash.as_deref(),
        }
    }
}

impl FromRequestParts<AppState> for ClientAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let transport = Transport::of(&parts.headers, &parts.uri, &parts.extensions);
        let Some(token) = transport.token(&parts.headers) else {
            return Ok(Self(None, transport));
        };
        let client = state.store.client_by_token(&token.hash()).await?;
        let ctx = client.map(|client| ClientCtx {
            client,
            token,
            transport,
            unsaved_token_hash: None,
        });
        Ok(Self(ctx, transport))
    }
}

impl ClientAuth {
    /// The caller's client, or a new one that the request's first write stores with what it
    /// creates ([`ClientCtx::key`]): a request that fails leaves no client behind.
    pub fn or_new(self, state: &AppState) -> Result<ClientCtx, ApiError> {
        if let Some(ctx) = self.0 {
            return Ok(ctx);
        }
        let token = ClientToken::generate(&state.random)?;
        let now = state.now();
        Ok(ClientCtx {
            client: ClientRow {
                id: new_id(&state.random, "client")?,
                sign_up_id: None,
                sign_in_id: None,
                last_active_session_id: None,
                created_at: now,
                updated_at: now,
            },
            unsaved_token_hash: Some(token.hash()),
            token,
            transport: self.1,
        })
    }
}

/// The caller's IP address (the connection's peer, or the client a trusted proxy names: see
/// [`Caller`]) and language (`Accept-Language`).
impl<S: Send + Sync> FromRequestParts<S> for SendContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self {
            ip: parts
                .extensions
                .get::<Caller>()
                .and_then(|caller| caller.ip)
                .map(|ip| ip.to_string()),
            locale: parts
                .headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(crate::delivery::language),
        })
    }
}

/// Where a request comes from, as a session's activity: the caller's address (see [`Caller`])
/// and its `User-Agent`, cut to 256 characters.
#[derive(Debug, Clone)]
pub struct Seen(pub crate::store::Activity);

impl<S: Send + Sync> FromRequestParts<S> for Seen {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<Caller>()
            .and_then(|caller| caller.ip)
            .map(|ip| ip.to_string());
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .filter(|ua| !ua.trim().is_empty())
            .map(|ua| ua.chars().take(256).collect());
        Ok(Self(crate::store::Activity { ip, user_agent }))
    }
}
