//! Signed in: who, since when, Sign out, and the account (devices, deleting it).

use dioxus::prelude::*;
use otp_dioxus::components::{KeychainWarning, SignOutButton, UserProfile, focus_on_mount};
use otp_dioxus::{Field, format_identifier, use_auth_store};

/// The signed-in screen.
#[component]
pub fn Home() -> Element {
    let store = use_auth_store();
    let Some(session) = store.state().read().session().cloned() else {
        return rsx! {};
    };
    // The phone number as people read it (+1 202-555-0143), not as the server stores it.
    let identifier = format_identifier(&session.identifier);
    let started = format_time(session.started_at);
    rsx! {
        KeychainWarning {}
        main { class: "otp-screen otp",
            // The focus lands on the heading, never on Sign out: the Enter that often follows
            // the sixth digit of a code must not sign the user straight back out.
            h1 { tabindex: "-1", onmounted: focus_on_mount, "You're signed in" }
            dl { class: "facts",
                dt { "Signed in as" }
                dd { id: "identifier", "{identifier}" }
                dt { "Session started" }
                dd { "{started}" }
            }
            otp_dioxus::components::FieldError { field: Field::Form, on_remedy: move |_| store.sign_out() }
            SignOutButton {}
            // After Sign out, so that the Tab from the heading still reaches it first.
            UserProfile {}
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
