//! Passwordless sign-up and sign-in with one-time codes for Dioxus apps, on desktop, mobile and
//! the web, against an OTP server you run (`otp-server`, which speaks a subset of Clerk's
//! Frontend API). What Clerk's Expo SDK gives a React Native developer, in Rust:
//!
//! - [`AuthProvider`] at the top of the app: it restores the session at start, keeps the device's
//!   token in the OS keychain (an HttpOnly cookie on the web), and runs every request, each with
//!   a time limit;
//! - hooks for your own screens, named as in the guide: [`use_sign_up`], [`use_sign_in`],
//!   [`use_auth`];
//! - [`SignedIn`], [`SignedOut`], [`AuthLoading`]: show their children only in that state;
//! - prebuilt screens, [`components::SignIn`] and [`components::SignUp`], and the account's
//!   [`components::UserProfile`] (phone numbers and email addresses, devices, deleting the
//!   account, and the fresh code a sensitive change needs), in English, French and
//!   Spanish ([`Strings`]), themed by CSS custom properties ([`STYLE`]);
//! - [`use_user`]: the account's calls for an app's own screens.
//!
//! ```no_run
//! use dioxus::prelude::*;
//! use otp_dioxus::{AuthProvider, SignedIn, SignedOut, components};
//!
//! fn main() {
//!     dioxus::launch(App);
//! }
//!
//! fn App() -> Element {
//!     rsx! {
//!         AuthProvider { api_url: "http://127.0.0.1:8787",
//!             SignedOut { components::SignIn {} }
//!             SignedIn { p { "You're signed in." } components::SignOutButton {} }
//!         }
//!     }
//! }
//! ```
//!
//! # Layout
//! - `provider.rs`: [`AuthProvider`], [`SignedIn`], [`SignedOut`], [`AuthLoading`], [`STYLE`].
//! - `hooks.rs`: [`use_auth`], [`use_sign_up`], [`use_sign_in`], [`use_user`] and their handles.
//! - `components/`: the prebuilt screens and pieces ([`components`]).
//! - `store.rs`: [`AuthStore`], the state and the client joined, provided through context; every
//!   request runs in the provider's scope.
//! - `machine.rs`: [`AuthState`], the prebuilt screens' state machine (plain Rust, unit-tested).
//! - `channel.rs`: [`Channel`], phone or email.
//! - `client.rs`: [`AuthClient`], the protocol steps over `otp-client`, keeping the token saved.
//! - `error.rs`: [`Error`], each protocol error as a sentence next to its field, with a way out.
//! - `strings.rs`: [`Strings`], every sentence in English, French and Spanish.
//! - `token_store.rs`: [`TokenStore`], where the token lives (keychain, cookie, memory).
//! - `format.rs`: [`format_identifier`], phone numbers for reading.
//! - `clock.rs`: [`Clock`], the time the store and countdowns read (a manual one in tests).
//! - `platform.rs`: sleeping and the SDK client with each platform's TLS.

mod channel;
mod client;
mod clock;
pub mod components;
mod error;
mod format;
mod hooks;
mod machine;
mod platform;
mod provider;
mod store;
mod strings;
mod token_store;

pub use channel::Channel;
pub use client::AuthClient;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Context, Error, Field, Remedy};
pub use format::format_identifier;
pub use hooks::{
    UseAuth, UseSignIn, UseSignUp, UseUser, use_auth, use_sign_in, use_sign_up, use_user,
};
pub use machine::{AuthState, Busy, Flow, Pending, Phase, RESEND_COOLDOWN_SECS, SignedInSession};
pub use provider::{AuthLoading, AuthProvider, AuthProviderProps, STYLE, SignedIn, SignedOut};
pub use store::{AuthStore, use_auth_store};
pub use strings::{Locale, Strings, Text};
#[cfg(not(target_arch = "wasm32"))]
pub use token_store::KeychainTokenStore;
pub use token_store::{
    CookieTokenStore, DEFAULT_SERVICE, MemoryTokenStore, TokenStore, TokenStoreError,
    platform_token_store,
};

/// The SDK itself, for what the hooks do not cover.
pub use otp_client;
/// The protocol's types these signatures use, so an app needs no other crate of ours.
pub use otp_client::proto::{
    EmailAddress, PhoneNumber, Session, SessionActivity, SessionVerification,
    SessionVerificationStatus, SignIn as SignInAttempt, SignInFactor, SignUp as SignUpAttempt,
    User,
};
pub use otp_client::{ErrorCode, Strategy, UserIdentifier};
