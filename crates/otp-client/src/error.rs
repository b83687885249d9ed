//! SDK errors: what the server refused (with the protocol's code, for the app to branch on), what
//! never reached it, and what the SDK itself was asked out of order.

use otp_proto::ErrorCode;

/// Anything an SDK call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error (boxed: it is large, and the rare path).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The server could not be reached, or the connection failed.
    #[error("cannot reach the server: {0}")]
    Transport(#[source] reqwest::Error),
    /// The server answered something that is not this protocol.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// A call was made out of order (for example `prepare_verification` before `create`).
    #[error("{0}")]
    State(&'static str),
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Self::Api(Box::new(e))
    }
}

impl Error {
    /// The API error, if the server refused the call.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The protocol error code, if the server refused the call.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.api().map(|e| &e.code)
    }

    /// Whether the server could not be reached, or did not answer in time (the app offers a
    /// retry).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Transport(_))
    }

    /// Whether the request ran out of its time limit ([`crate::Client::with_timeout`]).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Transport(e) if e.is_timeout())
    }
}

/// An error answered by the server.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {long_message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The stable code to branch on.
    pub code: ErrorCode,
    /// Short sentence.
    pub message: String,
    /// Sentence that says what to do.
    pub long_message: String,
    /// The request parameter at fault.
    pub param_name: Option<String>,
    /// From the `Retry-After` header (429, 403 `user_locked`): seconds to wait.
    pub retry_after_secs: Option<u64>,
    /// With `form_code_incorrect`: attempts left for this code.
    pub remaining_attempts: Option<u32>,
}
