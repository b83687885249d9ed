//! One virtual user's device, as lean as a client of the protocol can be: one keep-alive HTTP/1.1
//! connection (hyper, no pool, no URL parsing per request), the client token the server hands
//! back in `Authorization`, and of each answer only the fields a flow checks, read without
//! copying. The SDK (`otp-client`) decodes every answer into its full objects, which is right for
//! an app but cost the load tool a third of its CPU (callgrind: 217,000 of 672,000 instructions
//! per flow in JSON, another fifth in reqwest), CPU taken from the server it measures on the
//! same cores.
//! The wire shapes are still `otp-proto`'s: `smoke.rs` runs this against a real server.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request};
use serde::Deserialize;
use std::borrow::Cow;
use tokio::net::TcpStream;

/// Why a request failed: the server's error code, or what went wrong on the way.
#[derive(Debug)]
pub enum Failure {
    /// The server answered with an error body; its first error's code.
    Api(String),
    /// No answer (connection refused or lost).
    Transport,
    /// An answer that is not what the protocol says.
    Protocol,
}

impl Failure {
    /// The name of the failure in a report, after its step: `step:code`.
    pub fn named(&self, step: &str) -> String {
        match self {
            Self::Api(code) => format!("{step}:{code}"),
            Self::Transport => format!("{step}:transport"),
            Self::Protocol => format!("{step}:protocol"),
        }
    }
}

/// A connection to the server and the device's client token.
pub struct Device {
    sender: SendRequest<Full<Bytes>>,
    host: HeaderValue,
    token: Option<HeaderValue>,
}

/// The envelope of a sign-up or sign-in answer, as far as a flow reads it.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    response: Attempt<'a>,
    #[serde(borrow)]
    client: Option<ClientState<'a>>,
}

#[derive(Deserialize)]
struct Attempt<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    created_session_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ClientState<'a> {
    #[serde(borrow)]
    sessions: Vec<SessionState<'a>>,
}

#[derive(Deserialize)]
struct SessionState<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
}

#[derive(Deserialize)]
struct OutboxMessage<'a> {
    #[serde(borrow)]
    code: Cow<'a, str>,
}

#[derive(Deserialize)]
struct ErrorBody<'a> {
    #[serde(borrow)]
    errors: Vec<ErrorEntry<'a>>,
}

#[derive(Deserialize)]
struct ErrorEntry<'a> {
    #[serde(borrow)]
    code: Cow<'a, str>,
}

/// What a sign-up or sign-in call answered: its id, and the session it created if that session
/// is active on the device.
pub struct Answer {
    pub id: String,
    pub active_session: Option<String>,
}

impl Device {
    /// Opens a connection to `addr` (`host:port`).
    pub async fn connect(addr: &str) -> Result<Self, Failure> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|_| Failure::Transport)?;
        stream.set_nodelay(true).map_err(|_| Failure::Transport)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|_| Failure::Transport)?;
        tokio::spawn(connection);
        Ok(Self {
            sender,
            host: HeaderValue::from_str(addr).map_err(|_| Failure::Protocol)?,
            token: None,
        })
    }

    /// Whether the connection can carry another request (the server may close it).
    pub fn is_open(&self) -> bool {
        !self.sender.is_closed()
    }

    /// Starts over as a new device: no client token (the connection is kept).
    pub fn forget(&mut self) {
        self.token = None;
    }

    /// `POST path` with a JSON body: the sign-up or sign-in it answers.
    pub async fn post(&mut self, path: &str, json: String) -> Result<Answer, Failure> {
        let body = self.send(Method::POST, path, Some(json)).await?;
        let envelope: Envelope<'_> =
            serde_json::from_slice(&body).map_err(|_| Failure::Protocol)?;
        let created = envelope.response.created_session_id;
        let active = created.filter(|id| {
            envelope.client.as_ref().is_some_and(|c| {
                c.sessions
                    .iter()
                    .any(|s| s.id == *id && s.status == "active")
            })
        });
        Ok(Answer {
            id: envelope.response.id.into_owned(),
            active_session: active.map(Cow::into_owned),
        })
    }

    /// `GET /v1/dev/outbox?to=…`: the code of the latest message to `to` (an address of the
    /// load tool's own, which needs no escaping in a query).
    pub async fn dev_code(&mut self, to: &str) -> Result<String, Failure> {
        let body = self
            .send(Method::GET, &format!("/v1/dev/outbox?to={to}"), None)
            .await?;
        let message: OutboxMessage<'_> =
            serde_json::from_slice(&body).map_err(|_| Failure::Protocol)?;
        Ok(message.code.into_owned())
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        json: Option<String>,
    ) -> Result<Bytes, Failure> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.host.clone());
        if let Some(token) = &self.token {
            request = request.header(AUTHORIZATION, token.clone());
        }
        let body = match json {
            Some(json) => {
                request = request.header(CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(json))
            }
            None => Full::new(Bytes::new()),
        };
        let request = request.body(body).map_err(|_| Failure::Protocol)?;
        self.sender.ready().await.map_err(|_| Failure::Transport)?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|_| Failure::Transport)?;
        if let Some(token) = response.headers().get(AUTHORIZATION) {
            self.token = Some(token.clone());
        }
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|_| Failure::Transport)?
            .to_bytes();
        if status.is_success() {
            return Ok(body);
        }
        let error: ErrorBody<'_> = serde_json::from_slice(&body).map_err(|_| Failure::Protocol)?;
        Err(error
            .errors
            .first()
            .map_or(Failure::Protocol, |e| Failure::Api(e.code.to_string())))
    }
}
