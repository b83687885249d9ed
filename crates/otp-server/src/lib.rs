//! `otp-server`: a self-hosted OTP backend speaking a faithful subset of Clerk's Frontend API
//! (native-app mode): phone and email sign-up and sign-in with one-time codes, sessions, and
//! short-lived JWTs verifiable offline.
//!
//! # Layout
//! - [`config`]: flags and environment variables, and the security [`config::Policy`].
//! - [`startup`]: builds the [`startup::Application`] from a config and a bound listener.
//! - [`state`]: the [`state::AppState`] every handler receives.
//! - [`routes`]: the HTTP API, one file per flow (`sign_up`, `sign_in`, `session`, `client`,
//!   `environment` (what clerk-js reads at load), `dev`, `meta`); the route table.
//! - [`verification`]: sending a code and checking the one typed, shared by sign-up and sign-in.
//! - [`extract`]: request bodies (form or JSON), the caller's client, the caller's IP.
//! - [`browser`]: browser mode: the client in an HttpOnly cookie, allowed origins, CORS, and
//!   clerk-js's `_method` tunnelling.
//! - [`error`]: [`error::ApiError`], the one error type at the edge, and its wire form.
//! - [`present`]: stored rows to wire objects.
//! - [`domain`]: validated phone numbers and email addresses.
//! - [`otp`]: codes: generation, keyed hashing, judging an attempt (pure functions).
//! - [`rate_limit`]: send limits and lock-outs (pure functions).
//! - [`store`]: the storage interface and its two backends (SQLite, PostgreSQL).
//! - [`delivery`]: how codes leave the server: the outbox worker, SMTP, Twilio, the SMS
//!   webhook, the message templates, and dev mode's console.
//! - [`sealed`]: encryption of the codes the outbox keeps until they are sent.
//! - [`secrets`]: the code HMAC key, from configuration or the database.
//! - [`tokens`]: client tokens, and session JWTs with their rotating key ring.
//! - [`clock`]: time as a parameter ([`clock::SystemClock`], [`clock::ManualClock`] for tests).
//! - [`ids`]: prefixed random object ids.

pub mod browser;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod domain;
pub mod error;
pub mod extract;
pub mod ids;
pub mod otp;
pub mod present;
pub mod random;
pub mod rate_limit;
pub mod routes;
pub mod sealed;
pub mod secrets;
pub mod startup;
pub mod state;
pub mod store;
pub mod tokens;
pub mod verification;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, Policy};
pub use random::Random;
pub use startup::Application;
