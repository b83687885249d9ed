//! The connection: base URL, the device's client token (kept current from every response's
//! `Authorization` header) and the latest client state the server sent.
//!
//! In a browser (wasm32) the token is never seen: the server keeps it in an HttpOnly cookie,
//! requests are sent with credentials, and [`Client::token`] stays `None`.

use crate::error::{ApiError, Error};
use otp_proto::{ApiErrorBody, Client as ClientObject, Envelope};
use reqwest::{Method, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How long a request may take, from sending to the whole answer, unless
/// [`Client::with_timeout`] says otherwise: a server that never answers ends in
/// [`Error::Transport`] (`is_timeout`), so an app can offer a retry instead of waiting forever.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// Called with the new token whenever it changes, so the app can persist it (in the keychain).
pub type TokenListener = Arc<dyn Fn(Option<&str>) + Send + Sync>;

/// How request bodies are encoded. Clerk's SDKs send forms; the server accepts both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// `application/x-www-form-urlencoded`.
    #[default]
    Form,
    /// `application/json`.
    Json,
}

/// A connection to an `otp-server`, for one device. Clones share the token and state.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    encoding: Encoding,
    timeout: Duration,
    inner: Arc<Mutex<Shared>>,
}

#[derive(Default)]
struct Shared {
    token: Option<String>,
    client: Option<ClientObject>,
    listener: Option<TokenListener>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// What native clients send as `User-Agent`: `otp-client/<version> (<os>)`.
#[cfg(not(target_arch = "wasm32"))]
static USER_AGENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "otp-client/{} ({})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS
    )
});

impl Client {
    /// A client for the server at `base_url` (`http://127.0.0.1:8787`), with no token yet.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self::with_http(base_url, reqwest::Client::new())
    }

    /// Same as [`Client::new`] with a configured `reqwest::Client` (timeouts, TLS roots).
    pub fn with_http(base_url: impl Into<String>, http: reqwest::Client) -> Self {
        Self {
            http,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            encoding: Encoding::Form,
            timeout: DEFAULT_TIMEOUT,
            inner: Arc::default(),
        }
    }

    /// Every request's time limit ([`DEFAULT_TIMEOUT`] unless set).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Starts from a token saved earlier (restores the signed-in state after a restart).
    pub fn with_token(self, token: Option<String>) -> Self {
        self.shared().token = token;
        self
    }

    /// Encodes request bodies this way.
    pub fn with_encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Calls `listener` each time the token changes.
    pub fn on_token_change(self, listener: impl Fn(Option<&str>) + Send + Sync + 'static) -> Self {
        self.shared().listener = Some(Arc::new(listener));
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The current client token, to persist.
    pub fn token(&self) -> Option<String> {
        self.shared().token.clone()
    }

    /// The client as the server last described it.
    pub fn state(&self) -> Option<ClientObject> {
        self.shared().client.clone()
    }

    fn shared(&self) -> MutexGuard<'_, Shared> {
        // A panic while holding this lock cannot leave the data half-written (plain assignments).
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps the token of a response, telling the listener if it changed.
    fn keep_token(&self, response: &Response) {
        let Some(new) = response
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
        else {
            return;
        };
        let listener = {
            let mut shared = self.shared();
            if shared.token.as_deref() == Some(new) {
                return;
            }
            shared.token = Some(new.to_owned());
            shared.listener.clone()
        };
        if let Some(listener) = listener {
            listener(Some(new));
        }
    }

    /// Forgets the token and the state locally (the server session is not touched).
    pub fn forget(&self) {
        let listener = {
            let mut shared = self.shared();
            shared.token = None;
            shared.client = None;
            shared.listener.clone()
        };
        if let Some(listener) = listener {
            listener(None);
        }
    }

    pub(crate) fn set_state(&self, client: Option<ClientObject>) {
        self.shared().client = client;
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .timeout(self.timeout);
        if let Some(token) = self.token() {
            req = req.header("authorization", token);
        }
        // Native apps name themselves, so the user's list of devices can say which is which (a
        // browser sends its own `User-Agent`).
        #[cfg(not(target_arch = "wasm32"))]
        {
            req = req.header("user-agent", USER_AGENT.as_str());
        }
        // In a browser the client token is the server's HttpOnly cookie: let fetch send it.
        #[cfg(target_arch = "wasm32")]
        let req = req.fetch_credentials_include();
        req
    }

    /// Sends a request and returns the raw success response, or the server's error.
    pub(crate) async fn send<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Response, Error> {
        let mut req = self.request(method, path);
        if let Some(body) = body {
            req = match self.encoding {
                Encoding::Form => req.form(body),
                Encoding::Json => req.json(body),
            };
        }
        self.execute(req).await
    }

    /// Executes a request: keeps the token it brings back, turns error answers into [`Error`].
    pub(crate) async fn execute(&self, req: RequestBuilder) -> Result<Response, Error> {
        let response = match req.send().await {
            Ok(response) => response,
            Err(e) => return Err(self.why_unreachable(e).await),
        };
        self.keep_token(&response);
        if response.status().is_success() {
            return Ok(response);
        }
        Err(api_error(response).await)
    }

    /// Why a request got no answer. In a browser, a server that refuses the page's origin
    /// grants it nothing with credentials, and fetch then fails like a server that cannot be
    /// reached; asking again without credentials reads the refusal (`origin_invalid`), so that
    /// the app can say what to configure. Elsewhere, the transport error as it is.
    async fn why_unreachable(&self, e: reqwest::Error) -> Error {
        #[cfg(target_arch = "wasm32")]
        if !e.is_timeout() {
            let probe = self
                .http
                .get(format!("{}/v1/environment", self.base_url))
                .timeout(self.timeout)
                .send()
                .await;
            if let Ok(response) = probe
                && response.status() == reqwest::StatusCode::FORBIDDEN
            {
                return api_error(response).await;
            }
        }
        Error::Transport(e)
    }

    /// Sends a request whose answer is the `{response, client}` envelope, and keeps the client.
    pub(crate) async fn call<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, Error> {
        let envelope: Envelope<T> = decode(self.send(method, path, body).await?).await?;
        self.set_state(envelope.client);
        Ok(envelope.response)
    }

    /// `GET /v1/client`: the client this token names, or `None` (no token, or an unknown one).
    /// This is how an app restores its state at start.
    pub async fn load(&self) -> Result<Option<ClientObject>, Error> {
        let envelope: Envelope<Option<ClientObject>> =
            decode(self.send::<()>(Method::GET, "/v1/client", None).await?).await?;
        self.set_state(envelope.response.clone());
        Ok(envelope.response)
    }
}

pub(crate) async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, Error> {
    let bytes = response.bytes().await.map_err(Error::Transport)?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Protocol(e.to_string()))
}

pub(crate) async fn api_error(response: Response) -> Error {
    let status = response.status().as_u16();
    let retry_after_secs = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let body: ApiErrorBody = match decode(response).await {
        Ok(body) => body,
        Err(Error::Transport(e)) => return Error::Transport(e),
        Err(_) => return Error::Protocol(format!("HTTP {status} without an error body")),
    };
    let Some(first) = body.errors.into_iter().next() else {
        return Error::Protocol(format!("HTTP {status} with an empty error list"));
    };
    Error::from(ApiError {
        status,
        code: first.code,
        message: first.message,
        long_message: first.long_message,
        param_name: first.meta.param_name,
        retry_after_secs,
        remaining_attempts: first.meta.remaining_attempts,
    })
}
