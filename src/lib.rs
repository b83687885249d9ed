//! The app: passwordless sign-up and sign-in with one-time codes, on desktop, mobile and the web.
//! Its screens mirror the Expo examples of Clerk's custom email/phone OTP flow guide. Everything
//! about signing in comes from `otp-dioxus`, used exactly as any other app would use it.
//!
//! # Layout
//! - [`App`]: the provider (`otp_dioxus::AuthProvider`, with the app's keychain entry) and
//!   [`Shell`] (stylesheet, banner, router).
//! - [`route`]: the [`Route`] enum (the screens) and the guard that sends each state to its
//!   screen; the sign-in and sign-up screens are otp-dioxus's prebuilt ones.
//! - [`views`]: the app's own screens (`home`, `starting`).
//! - [`dev_banner`]: the banner of the embedded dev backend (the last code it "sent") and of a
//!   missing backend configuration.
//! - [`backend`]: which backend to talk to; with the `dev-backend` feature, an embedded dev-mode
//!   `otp-server`.

pub mod backend;
pub mod dev_banner;
pub mod route;
pub mod views;

pub use route::Route;

use backend::Backend;
use dioxus::prelude::*;
use otp_dioxus::{AuthProvider, Locale};

/// The app's stylesheet (the sign-in screens bring otp-dioxus's).
pub const STYLE: Asset = asset!("/assets/main.css");

/// The keychain entry's service name: the app's, not the library's default.
pub const KEYCHAIN_SERVICE: &str = "otp-app";

/// The root of the real app: signing in against the chosen backend, and the screens.
#[component]
pub fn App() -> Element {
    let backend = use_context::<Backend>();
    rsx! {
        // English, as the app's own screens are (the sign-in screens also speak French and
        // Spanish, chosen from the system when no locale is given).
        AuthProvider { api_url: backend.url, keychain_service: KEYCHAIN_SERVICE, locale: Locale::En,
            Shell {}
        }
    }
}

/// Everything below the provider: stylesheet, banner and router. Tests render it under their
/// own store.
#[component]
pub fn Shell() -> Element {
    rsx! {
        document::Stylesheet { href: STYLE }
        dev_banner::DevBanner {}
        Router::<Route> {}
    }
}
