//! Clerk's "custom email or phone OTP flow" guide, its Expo example in Rust, screen for screen:
//! a phone sign-up page and a phone sign-in page written with `use_sign_up`, `use_sign_in` and
//! `use_auth().set_active`, and a home page with sign-out. Run it as `prebuilt.rs` says.

use dioxus::prelude::*;
use otp_dioxus::{AuthProvider, SignedIn, SignedOut, Strategy, use_auth, use_sign_in, use_sign_up};

fn main() {
    dioxus::launch(App);
}

#[component]
fn App() -> Element {
    let api_url = std::env::var("OTP_API_URL").unwrap_or("http://127.0.0.1:8787".into());
    let mut sign_up = use_signal(|| false);
    rsx! {
        AuthProvider { api_url,
            SignedIn { Home {} }
            SignedOut {
                if sign_up() { SignUpPage {} } else { SignInPage {} }
                button { onclick: move |_| sign_up.toggle(),
                    if sign_up() { "Already have an account? Sign in" } else { "Don't have an account? Sign up" }
                }
            }
        }
    }
}

/// sign-up.tsx: a phone number, then the code sent to it.
#[component]
fn SignUpPage() -> Element {
    let (sign_up, auth) = (use_sign_up(), use_auth());
    let mut phone = use_signal(String::new);
    let mut code = use_signal(String::new);
    let mut verifying = use_signal(|| false);
    let mut error = use_signal(String::new);

    // Create the sign-up with the phone number, then send it a code.
    let on_sign_up = move |_| async move {
        let sent = async {
            sign_up.create_phone(&phone()).await?;
            sign_up.prepare_verification(Strategy::PhoneCode).await
        };
        match sent.await {
            Ok(_) => verifying.set(true),
            Err(e) => error.set(e.to_string()),
        }
    };
    // Check the code; when the sign-up is complete, make its session active.
    let on_verify = move |_| async move {
        let done = sign_up
            .attempt_verification(Strategy::PhoneCode, &code())
            .await;
        let result = match done.map(|s| s.created_session_id) {
            Ok(Some(session)) => auth.set_active(&session).await,
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            error.set(e.to_string());
        }
    };

    rsx! {
        if verifying() {
            h1 { "Verify your phone number" }
            input { placeholder: "Verification code", autocomplete: "one-time-code", inputmode: "numeric", oninput: move |e| code.set(e.value()) }
            button { onclick: on_verify, "Verify" }
        } else {
            h1 { "Sign up" }
            input { placeholder: "Phone number", r#type: "tel", autocomplete: "tel", oninput: move |e| phone.set(e.value()) }
            button { onclick: on_sign_up, "Continue" }
        }
        p { role: "alert", "{error}" }
    }
}

/// sign-in.tsx: a phone number, then the code sent to its first factor.
#[component]
fn SignInPage() -> Element {
    let (sign_in, auth) = (use_sign_in(), use_auth());
    let mut phone = use_signal(String::new);
    let mut code = use_signal(String::new);
    let mut verifying = use_signal(|| false);
    let mut error = use_signal(String::new);

    // Create the sign-in, pick its phone factor and send it a code.
    let on_sign_in = move |_| async move {
        let sent = async {
            let attempt = sign_in.create(&phone()).await?;
            if let Some(factor) = attempt.first_factor(Strategy::PhoneCode) {
                sign_in.prepare_first_factor(factor).await?;
            }
            Ok::<_, otp_dioxus::Error>(())
        };
        match sent.await {
            Ok(()) => verifying.set(true),
            Err(e) => error.set(e.to_string()),
        }
    };
    // Check the code; when the sign-in is complete, make its session active.
    let on_verify = move |_| async move {
        let done = sign_in
            .attempt_first_factor(Strategy::PhoneCode, &code())
            .await;
        let result = match done.map(|s| s.created_session_id) {
            Ok(Some(session)) => auth.set_active(&session).await,
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            error.set(e.to_string());
        }
    };

    rsx! {
        if verifying() {
            h1 { "Verify your phone number" }
            input { placeholder: "Verification code", autocomplete: "one-time-code", inputmode: "numeric", oninput: move |e| code.set(e.value()) }
            button { onclick: on_verify, "Verify" }
        } else {
            h1 { "Sign in" }
            input { placeholder: "Phone number", r#type: "tel", autocomplete: "tel", oninput: move |e| phone.set(e.value()) }
            button { onclick: on_sign_in, "Continue" }
        }
        p { role: "alert", "{error}" }
    }
}

/// index.tsx: who is signed in, and sign-out.
#[component]
fn Home() -> Element {
    let auth = use_auth();
    let user = auth.user();
    let phone = user
        .as_ref()
        .and_then(|u| u.identifier())
        .map(otp_dioxus::format_identifier)
        .unwrap_or_default();
    rsx! {
        h1 { "Hello, {phone}" }
        button { onclick: move |_| async move { let _ = auth.sign_out().await; }, "Sign out" }
    }
}
