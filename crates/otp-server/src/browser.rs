//! Browser mode: how a web page's client travels, and which pages may use it.
//!
//! Native apps carry the client token in the `Authorization` header both ways (the SDK keeps it
//! in the device's keychain). A web page must not hold it where scripts can read it, so, as Clerk
//! does for browsers, the server keeps it in an HttpOnly cookie, `__client`, that page scripts
//! never see. Which [`Transport`] a request uses:
//! - an `Authorization` header (even an empty one) or `?_is_native=1`: native;
//! - otherwise an `Origin` header or a `__client` cookie: browser;
//! - otherwise (a non-browser client with no client yet, such as curl): native.
//!
//! Browsers send `Origin` with every state-changing request and every cross-origin one, so
//! [`guard_origin`] lets a cookie be used only by pages of the allowed origins
//! (`--allowed-origin`): a forged cross-site request, or any request from another site's page, is
//! refused with 403 `origin_invalid` (with no CORS headers: the origin is never echoed). [`cors`]
//! lets exactly those origins call with credentials.
//! [`tunnel_method`] turns clerk-js's `POST ?_method=PATCH|PUT|DELETE` back into that method.

use crate::caller::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::ClientToken;
use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_ORIGIN, AUTHORIZATION, CONTENT_TYPE, COOKIE, ORIGIN, RETRY_AFTER,
    SET_COOKIE, VARY,
};
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cookie::{Cookie, SameSite};
use std::time::Duration;
use tower_http::cors::{AllowCredentials, AllowOrigin, CorsLayer};

/// The cookie that holds a browser's client token (Clerk's name for it).
pub const CLIENT_COOKIE: &str = "__client";

/// How long a browser keeps the client cookie: 400 days, the most browsers accept.
const COOKIE_MAX_AGE_DAYS: i64 = 400;

/// How the client token travels for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// In the `Authorization` header, both ways.
    Native,
    /// In the HttpOnly `__client` cookie; `Secure` as `--cookie-secure` decides (see
    /// [`Caller`]), never by the `Host` header.
    Browser {
        /// Whether the cookie gets the `Secure` attribute.
        secure: bool,
    },
}

impl Transport {
    /// The transport a request uses (see the module documentation); the cookie's `Secure` is
    /// the request's [`Caller`] decision (`--cookie-secure`), and Secure when there is none.
    pub fn of(headers: &HeaderMap, uri: &Uri, extensions: &Extensions) -> Self {
        if headers.contains_key(AUTHORIZATION) || asks_native(uri) {
            Self::Native
        } else if headers.contains_key(ORIGIN) || cookie_token(headers).is_some() {
            Self::Browser {
                secure: extensions
                    .get::<Caller>()
                    .is_none_or(|caller| caller.secure_cookie),
            }
        } else {
            Self::Native
        }
    }

    /// The client token the request carries, if any.
    pub fn token(self, headers: &HeaderMap) -> Option<ClientToken> {
        match self {
            Self::Native => headers
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(ClientToken::from_header),
            Self::Browser { .. } => {
                cookie_token(headers).and_then(|v| ClientToken::from_header(&v))
            }
        }
    }

    /// Hands the client token back: the `Authorization` header, or the cookie.
    pub fn attach(self, res: &mut Response, token: &ClientToken) -> Result<(), ApiError> {
        let (name, value) = match self {
            Self::Native => (AUTHORIZATION, token.expose().to_owned()),
            Self::Browser { secure } => {
                let cookie = Cookie::build((CLIENT_COOKIE, token.expose()))
                    .path("/")
                    .http_only(true)
                    .secure(secure)
                    .same_site(SameSite::Lax)
                    .max_age(cookie::time::Duration::days(COOKIE_MAX_AGE_DAYS));
                (SET_COOKIE, cookie.to_string())
            }
        };
        let value = HeaderValue::from_str(&value)
            .map_err(|e| anyhow::anyhow!("client token header: {e}"))?;
        res.headers_mut().insert(name, value);
        Ok(())
    }
}

/// Whether the query string asks for native mode (`_is_native=1`, as Clerk's native SDKs send).
fn asks_native(uri: &Uri) -> bool {
    query_param(uri, "_is_native").is_some_and(|v| matches!(v.as_str(), "1" | "true"))
}

/// The first value of query parameter `name`.
fn query_param(uri: &Uri, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(uri.query()?)
        .unwrap_or_default()
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// clerk-js sends PATCH, PUT and DELETE as `POST ?_method=PATCH|PUT|DELETE`: routes see the
/// method it stands for. Runs before routing.
pub fn tunnel_method(mut req: Request) -> Request {
    if req.method() == Method::POST {
        let tunneled = query_param(req.uri(), "_method").map(|m| m.to_ascii_uppercase());
        if let Some(method @ ("PATCH" | "PUT" | "DELETE")) = tunneled.as_deref()
            && let Ok(method) = Method::from_bytes(method.as_bytes())
        {
            *req.method_mut() = method;
        }
    }
    req
}

/// The value of the `__client` cookie, if the request has one.
fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == CLIENT_COOKIE)
        .map(|c| c.value().to_owned())
}

/// Refuses browser requests from origins that are not allowed (whatever the method), and
/// state-changing browser requests that name no origin (CSRF defence).
pub async fn guard_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if Transport::of(req.headers(), req.uri(), req.extensions()) != Transport::Native
        && req.method() != Method::OPTIONS
    {
        let origin = req.headers().get(ORIGIN);
        let refused = match origin.map(|o| o.to_str().unwrap_or_default()) {
            // A page of another origin may not use the API at all, reads included.
            Some(o) => !state.config.allowed_origins.iter().any(|a| a == o),
            // Same-origin reads carry no Origin; anything that changes state must say where
            // it comes from.
            None => !matches!(*req.method(), Method::GET | Method::HEAD),
        };
        if refused {
            let mut res = ApiError::OriginNotAllowed.into_response();
            // Nothing is granted with credentials, so a page of that origin cannot read this
            // with the user's cookie; but a request without credentials may read the refusal
            // (a fixed error that reveals nothing), so that the app can tell its developer what
            // to configure instead of "cannot reach the server" (otp-client asks that way when
            // a browser request fails). `null` (sandboxed frames, `data:` pages) is never
            // echoed: it names no origin an operator could allow.
            if let Some(origin) = origin.filter(|o| o.as_bytes() != b"null") {
                let headers = res.headers_mut();
                headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
                headers.insert(VARY, HeaderValue::from_static("origin"));
            }
            return res;
        }
    }
    next.run(req).await
}

/// CORS for the allowed origins, with credentials (the cookie); none when no origin is allowed.
pub fn cors(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    (!origins.is_empty()).then(|| {
        let allowed = origins.clone();
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            // Granted to those origins only: any other (`null` included) gets no CORS header
            // that lets its page read an answer with the user's cookie.
            .allow_credentials(AllowCredentials::predicate(move |origin, _| {
                allowed.contains(origin)
            }))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PATCH,
                Method::PUT,
                Method::DELETE,
            ])
            .allow_headers([CONTENT_TYPE, AUTHORIZATION])
            // `Retry-After`: a page tells its user how long to wait after a 429 (CORS hides every
            // response header a page is not told it may read).
            .expose_headers([AUTHORIZATION, RETRY_AFTER])
            .max_age(Duration::from_secs(600))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn a_request_picks_its_transport_from_what_it_carries() {
        let uri: Uri = "/v1/client".parse().expect("uri");
        let native: Uri = "/v1/client?_is_native=1".parse().expect("uri");
        let origin = ("origin", "https://app.example");
        let host = ("host", "api.example");
        let browser = Transport::Browser { secure: true };
        let none = Extensions::new();
        assert_eq!(
            Transport::of(&headers(&[("authorization", "")]), &uri, &none),
            Transport::Native
        );
        assert_eq!(
            Transport::of(&headers(&[origin, host]), &native, &none),
            Transport::Native
        );
        assert_eq!(
            Transport::of(&headers(&[origin, host]), &uri, &none),
            browser
        );
        assert_eq!(
            Transport::of(
                &headers(&[("cookie", "a=b; __client=x"), host]),
                &uri,
                &none
            ),
            browser
        );
        assert_eq!(Transport::of(&headers(&[]), &uri, &none), Transport::Native);
    }

    #[test]
    fn the_cookie_is_secure_as_the_caller_says_whatever_the_host() {
        let uri: Uri = "/".parse().expect("uri");
        for host in ["127.0.0.1:8787", "localhost", "api.example"] {
            for secure in [true, false] {
                let mut extensions = Extensions::new();
                extensions.insert(Caller {
                    ip: None,
                    secure_cookie: secure,
                });
                let h = headers(&[("origin", "http://x.example"), ("host", host)]);
                assert_eq!(
                    Transport::of(&h, &uri, &extensions),
                    Transport::Browser { secure },
                    "{host}"
                );
            }
        }
    }

    #[test]
    fn only_post_tunnels_and_only_to_patch_put_or_delete() {
        let tunnel = |method: Method, uri: &str| {
            let req = Request::builder()
                .method(method)
                .uri(uri)
                .body(axum::body::Body::empty());
            tunnel_method(req.expect("request")).method().clone()
        };
        assert_eq!(
            tunnel(Method::POST, "/v1/client/sessions?_method=DELETE"),
            Method::DELETE
        );
        assert_eq!(
            tunnel(Method::POST, "/v1/environment?x=1&_method=patch"),
            Method::PATCH
        );
        assert_eq!(tunnel(Method::POST, "/v1/client?_method=GET"), Method::POST);
        assert_eq!(
            tunnel(Method::GET, "/v1/client?_method=DELETE"),
            Method::GET
        );
    }
}
