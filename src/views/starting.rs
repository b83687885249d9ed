//! While the app asks the backend whether the saved token is still signed in.

use crate::auth::{Field, use_auth, use_auth_state};
use crate::components::FieldError;
use dioxus::prelude::*;

/// The start screen: a short wait, or why the backend cannot be reached and a retry.
#[component]
pub fn Starting() -> Element {
    let auth = use_auth();
    let state = use_auth_state();
    let failed = state.read().error.is_some();
    rsx! {
        main { class: "screen",
            h1 { "Passwordless sign-in" }
            if failed {
                FieldError { field: Field::Form, on_remedy: move |_| auth.restore() }
            } else {
                p { class: "lead", role: "status", span { class: "spinner", aria_hidden: "true" } " Loading…" }
            }
        }
    }
}
