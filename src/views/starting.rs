//! While the app asks the backend whether the saved token is still signed in. (When that fails,
//! the route guard shows the sign-up screen, which says why, with Try again.)

use dioxus::prelude::*;

/// The start screen: a short wait.
#[component]
pub fn Starting() -> Element {
    rsx! {
        main { class: "otp-screen otp",
            h1 { "Passwordless sign-in" }
            p { class: "otp-lead", role: "status", span { class: "otp-spinner", aria_hidden: "true" } " Loading…" }
        }
    }
}
