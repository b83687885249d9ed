//! `otp-client`: the Rust SDK for `otp-server`, shaped like the calls of Clerk's custom OTP flow
//! guide, for desktop, mobile and the web (wasm).
//!
//! ```no_run
//! # async fn demo() -> Result<(), otp_client::Error> {
//! use otp_client::{Client, Strategy};
//! let client = Client::new("http://127.0.0.1:8787");
//! client.sign_up().create_phone("+12025550143").await?;
//! client.sign_up().prepare_verification(Strategy::PhoneCode).await?;
//! let sign_up = client.sign_up().attempt_verification(Strategy::PhoneCode, "123456").await?;
//! client.set_active(sign_up.created_session_id.as_deref().unwrap_or_default()).await?;
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`Client`] (in `client.rs`): the connection, the client token and the latest client state;
//!   one `impl` block per area in its own file:
//!   - `sign_up.rs`: [`SignUps`]: `create`, `prepare_verification`, `attempt_verification`, `get`.
//!   - `sign_in.rs`: [`SignIns`]: `create`, `supported_first_factors`, `prepare_first_factor`,
//!     `attempt_first_factor`, `get`.
//!   - `session.rs`: `set_active`, `session_token`, `sign_out`, `end_session`, `load`.
//!   - `me.rs`: the signed-in user's account: `me`, `add_email`, `add_phone`,
//!     `prepare_identifier_verification`, `attempt_identifier_verification`, `set_primary`,
//!     `remove_identifier`, `active_sessions`, `revoke_session`, `delete_account`, and
//!     reverification (`reverify`, `prepare_reverification`, `attempt_reverification`).
//!   - `dev.rs`: `dev_outbox` (dev-mode servers only).
//! - [`backend`]: [`backend::Backend`], the Backend API for the app developer's own servers
//!   (a secret key): users, bans, sessions.
//! - [`error`]: [`Error`]: API errors (with Clerk's code, message, parameter, retry-after) kept
//!   apart from transport errors.
//!
//! The wire types are re-exported from `otp-proto`.

pub mod backend;
mod client;
mod dev;
pub mod error;
mod me;
mod session;
mod sign_in;
mod sign_up;

pub use client::{Client, DEFAULT_TIMEOUT, Encoding, TokenListener};
pub use error::{ApiError, Error};
pub use me::UserIdentifier;
pub use otp_proto::{self as proto, ErrorCode, Strategy};
pub use sign_in::{FirstFactor, SignIns};
pub use sign_up::SignUps;
