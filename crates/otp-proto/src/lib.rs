//! Wire types of the OTP protocol: a faithful subset of Clerk's Frontend API in native-app mode.
//!
//! Both `otp-server` and `otp-client` build on these types, so the two cannot drift.
//! No I/O lives here.
//!
//! # Layout
//! - [`objects`]: the objects the server returns (`Client`, `SignUp`, `SignIn`, `Session`, `User`,
//!   `PhoneNumber`, `EmailAddress`, `Verification`, `SignInFactor`, `Token`) with Clerk's field names.
//! - [`requests`]: the request bodies, accepted as form-encoded or JSON.
//! - [`backend`]: the Backend API's objects (for the app developer's own servers).
//! - [`error`]: the error envelope and the stable error codes ([`ErrorCode`]).
//! - [`Envelope`]: the success envelope `{"response": …, "client": …}`.
//! - [`dev`]: the dev-mode outbox message.
//! - [`mask`]: masking of phone numbers and emails for display.
//!
//! Times are integers in milliseconds since the Unix epoch.

pub mod backend;
pub mod dev;
pub mod error;
pub mod mask;
pub mod objects;
pub mod requests;

pub use error::{ApiErrorBody, ErrorBody, ErrorCode, ErrorMeta};
pub use objects::*;
pub use requests::*;

use serde::{Deserialize, Serialize};

/// The success envelope of every `/v1/client*` call: the object asked for, and the whole client
/// as it is after the call, so an SDK never needs a second round trip to stay in sync.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// The object the call is about (a sign-up, a sign-in, a session or the client itself).
    pub response: T,
    /// The caller's client after the call; `null` only when there is no client yet.
    pub client: Option<Client>,
}

/// Name of the header that carries the client token, in requests and in responses.
pub const AUTHORIZATION: &str = "authorization";
