//! The app: passwordless sign-up and sign-in with one-time codes, on desktop, mobile and the web.
//! Its screens mirror the Expo examples of Clerk's custom email/phone OTP flow guide.
//!
//! # Layout
//! - [`route`]: the [`Route`] enum (the screens) and the guard that sends each state to its screen.
//! - [`auth`]: everything about signing in, with no UI:
//!   - `machine.rs`: [`auth::AuthState`], the state machine (plain Rust, unit-tested);
//!   - `client.rs`: [`auth::AuthClient`], the protocol steps over `otp-client`;
//!   - `store.rs`: [`auth::AuthStore`], the two joined in a signal, provided through context
//!     ([`auth::use_auth`]);
//!   - `errors.rs`: every protocol error as a sentence next to the field it concerns;
//!   - `token_store.rs`: [`auth::TokenStore`], the client token in the OS keychain (or memory);
//!     on the web, the server's HttpOnly cookie ([`auth::CookieTokenStore`]).
//! - [`views`]: one file per screen (`sign_up`, `sign_in`, `verify`, `home`, `starting`).
//! - [`components`]: pieces the screens share (the identifier form, field errors, the dev banner).
//! - [`backend`]: which backend to talk to; with the `dev-backend` feature, an embedded dev-mode
//!   `otp-server`.
//! - [`clock`]: the [`clock::Clock`] the store and screens read the time from; the one
//!   wall-clock read ([`clock::SystemClock`]) and a manual clock for tests.
//! - [`platform`]: sleeping, on native and wasm; the SDK client with each platform's TLS.

pub mod auth;
pub mod backend;
pub mod clock;
pub mod components;
pub mod platform;
pub mod route;
pub mod views;

pub use route::Route;

use auth::AuthStore;
use backend::Backend;
use dioxus::prelude::*;
use std::sync::Arc;

/// The stylesheet.
pub const STYLE: Asset = asset!("/assets/main.css");

/// The root of the real app: builds the auth store for the chosen backend with the platform's
/// keychain and the system clock, provides it, and renders the screens.
#[component]
pub fn App() -> Element {
    let backend = use_context::<Backend>();
    let store = use_context_provider(|| {
        AuthStore::new(
            &backend.url,
            auth::platform_token_store(&backend.url),
            Arc::new(clock::SystemClock),
        )
    });
    use_hook(move || store.restore());
    rsx! { Shell {} }
}

/// Everything below the providers: stylesheet, dev banner and router. Tests render it under
/// their own providers.
#[component]
pub fn Shell() -> Element {
    rsx! {
        document::Stylesheet { href: STYLE }
        components::DevBanner {}
        Router::<Route> {}
    }
}
