//! The smallest app with sign-in: the prebuilt screen while signed out, a greeting and Sign out
//! while signed in. Start a dev server (`cargo run -p otp-server -- --dev`: it shows each code in
//! its log and in this app's dev line), then `cargo run -p otp-dioxus --example prebuilt`, or on
//! the web `dx serve --example prebuilt -p otp-dioxus --platform web`.
//! `OTP_API_URL` names another server.

use dioxus::prelude::*;
use otp_dioxus::{AuthLoading, AuthProvider, SignedIn, SignedOut, components, use_auth};

fn main() {
    dioxus::launch(App);
}

#[component]
fn App() -> Element {
    let api_url = std::env::var("OTP_API_URL").unwrap_or("http://127.0.0.1:8787".into());
    rsx! {
        AuthProvider { api_url,
            AuthLoading { p { "Loading…" } }
            SignedOut { components::SignIn {} components::DevCode {} }
            SignedIn { Hello {} }
        }
    }
}

#[component]
fn Hello() -> Element {
    let user = use_auth().user();
    let who = user
        .as_ref()
        .and_then(|u| u.identifier())
        .map(otp_dioxus::format_identifier)
        .unwrap_or_default();
    rsx! {
        main { class: "otp-screen otp",
            h1 { "Hello, {who}" }
            components::SignOutButton {}
        }
    }
}
