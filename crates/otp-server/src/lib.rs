//! `otp-server`: a self-hosted OTP backend speaking a faithful subset of Clerk's Frontend API
//! (native-app mode): phone and email sign-up and sign-in with one-time codes, sessions, and
//! short-lived JWTs verifiable offline.
//!
//! # Layout
//! From the edge down: a module imports only modules listed below it, never one above, so
//! there are no import circles (the `layout` test checks it). The binary, `main.rs`, parses the
//! command line and turns a failed start into one line on stderr.
//!
//! - [`startup`]: builds the [`startup::Application`] from a config and a bound listener, and
//!   the router with its middleware.
//! - [`routes`]: the HTTP API, one file per flow (`sign_up`, `sign_in`, `session`, `client`,
//!   `me` (the signed-in user's account and devices), `identifiers` (their phone numbers and
//!   email addresses), `reverify` (a fresh code before a sensitive change), `environment` (what
//!   clerk-js reads at load), `dev`, `meta`); thin handlers, and the route table.
//! - [`admin`]: the operator's commands (`keys`, `users`, `sessions`) over the store.
//! - [`backend`]: the Backend API for the app developer's own servers (users, bans, sessions,
//!   the JWKS, behind a secret key), and creating secret keys.
//! - [`webhooks`]: the events of users and sessions for the app developer's servers: their
//!   endpoints, Svix signatures, and the worker that delivers them from the store's outbox.
//! - [`telemetry`]: the metrics (`GET /metrics`, Prometheus text), their list, and the timing
//!   of every request by route.
//! - [`extract`]: request bodies (form or JSON), the caller's client, the caller's IP and
//!   language.
//! - [`verification`]: sending a code and checking the one typed, shared by sign-up, sign-in,
//!   added identifiers and reverification, and the notices of an account's changes (the
//!   service the handlers call; it knows no HTTP).
//! - [`browser`]: browser mode: the client in an HttpOnly cookie, allowed origins, CORS, and
//!   clerk-js's `_method` tunnelling.
//! - [`caller`]: who is calling: the connection's peer, or through trusted proxies the client
//!   address and scheme they forwarded; whether the cookie gets `Secure`.
//! - [`state`]: the [`state::AppState`] every handler receives.
//! - [`janitor`]: housekeeping: each instance's periodic removal of expired and abandoned rows.
//! - [`delivery`]: how codes leave the server: the outbox worker, SMTP, Twilio, the SMS
//!   webhook, the message templates, and dev mode's console.
//! - [`tokens`]: client tokens, and session JWTs with their rotating key ring.
//! - [`secrets`]: the code HMAC key, from configuration or the database.
//! - [`present`]: stored rows to wire objects.
//! - [`error`]: [`error::ApiError`], the one error type at the edge, and its wire form.
//! - [`store`]: [`store::Store`]: its policy written once (`flows`) over the primitive reads and
//!   writes each database provides (`tx`; SQLite, PostgreSQL).
//! - [`config`]: flags and environment variables (with their parsers), the security
//!   [`config::Policy`], and [`config::ConfigError`] for a configuration that cannot work.
//! - [`otp`]: codes: generation, keyed hashing, judging an attempt (pure functions).
//! - [`sealed`]: encryption of the codes the outbox keeps until they are sent.
//! - [`ids`]: prefixed random object ids.
//! - [`domain`]: validated phone numbers and email addresses.
//! - [`rate_limit`]: send limits, lock-outs, per-IP-prefix keys and SMS-pumping judgement (pure
//!   functions).
//! - [`clock`]: time as a parameter ([`clock::SystemClock`], [`clock::ManualClock`] for tests).
//! - [`random`]: randomness as a parameter ([`random::Random`]: the OS CSPRNG, or a seeded
//!   stream for tests); the only module that reads the OS random source.

pub mod admin;
pub mod backend;
pub mod browser;
pub mod caller;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod domain;
pub mod error;
pub mod extract;
pub mod ids;
pub mod janitor;
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
pub mod telemetry;
pub mod tokens;
pub mod verification;
pub mod webhooks;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, Policy};
pub use random::Random;
pub use startup::Application;
