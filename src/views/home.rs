//! Signed in: who, since when, and Sign out.

use crate::auth::{Busy, Field, Phase, use_auth, use_auth_state};
use crate::components::{FieldError, focus_on_mount};
use dioxus::prelude::*;

/// The signed-in screen.
#[component]
pub fn Home() -> Element {
    let auth = use_auth();
    let state = use_auth_state();
    let Phase::SignedIn(session) = state.read().phase.clone() else {
        return rsx! {};
    };
    let busy = state.read().busy;
    let started = format_time(session.started_at);
    let retry = auth.clone();
    rsx! {
        main { class: "screen",
            // The focus lands on the heading, never on Sign out: the Enter that often follows
            // the sixth digit of a code must not sign the user straight back out.
            h1 { tabindex: "-1", onmounted: focus_on_mount, "You're signed in" }
            dl { class: "facts",
                dt { "Signed in as" }
                dd { id: "identifier", "{session.identifier}" }
                dt { "Session started" }
                dd { "{started}" }
            }
            FieldError { field: Field::Form, on_remedy: move |_| retry.sign_out() }
            button {
                r#type: "button",
                class: "primary",
                disabled: busy.is_some(),
                aria_busy: busy == Some(Busy::SignOut),
                onclick: move |_| auth.sign_out(),
                if busy == Some(Busy::SignOut) {
                    span { class: "spinner", aria_hidden: "true" }
                    "Signing out…"
                } else {
                    "Sign out"
                }
            }
        }
    }
}

/// `ms` since the epoch as local date and time: "November 25, 2026 at 19:04".
fn format_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%B %-d, %Y at %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}
