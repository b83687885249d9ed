//! The first screen: says whether the backend answers and whether this device is signed in.

use crate::use_backend;
use dioxus::prelude::*;

/// Home: backend status and this device's state.
#[component]
pub fn Home() -> Element {
    let backend = use_backend();
    let url = backend.url.clone();
    let status = use_resource(move || {
        let client = otp_client::Client::new(url.clone());
        async move { client.load().await }
    });
    let where_ = if backend.embedded {
        "embedded dev server"
    } else {
        "server"
    };
    rsx! {
        main { class: "screen",
            h1 { "Passwordless sign-in" }
            p { class: "lead", "Sign up and sign in with a one-time code sent to your phone or email." }
            if let Some(error) = backend.error.clone() {
                p { class: "error", role: "alert", "The embedded server could not start: {error}" }
            }
            match &*status.read() {
                None => rsx! { p { class: "status", "Connecting to the {where_} at {backend.url}…" } },
                Some(Ok(Some(client))) if client.last_active_session().is_some() => rsx! {
                    p { class: "status ok", "Signed in." }
                },
                Some(Ok(_)) => rsx! {
                    p { class: "status ok", id: "backend-status", "Connected to the {where_} at {backend.url}. Not signed in." }
                },
                Some(Err(e)) => rsx! {
                    p { class: "status error", role: "alert", "Cannot reach the {where_} at {backend.url}: {e}" }
                },
            }
        }
    }
}
