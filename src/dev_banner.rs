//! With the embedded dev backend: a banner that says so and shows the last code it "sent"
//! (otp-dioxus's `DevCode`), so a newcomer can try the whole flow with no phone and no mailbox.
//! Also where a failed embedded server and a missing backend configuration are told.

use crate::backend::Backend;
use dioxus::prelude::*;
use otp_dioxus::components::DevCode;

/// The dev banner and app-wide notices about the backend.
#[component]
pub fn DevBanner() -> Element {
    let backend = try_use_context::<Backend>();
    let embedded = backend.as_ref().is_some_and(|b| b.embedded);
    let server_error = backend.as_ref().and_then(|b| b.error.clone());
    let fallback = backend
        .as_ref()
        .filter(|b| b.fallback)
        .map(|b| b.url.clone());
    rsx! {
        if embedded {
            aside { class: "banner dev", role: "status",
                strong { "Dev backend" }
                " — codes are shown here instead of being sent."
                DevCode {}
            }
        }
        if let Some(error) = server_error {
            aside { class: "banner error", role: "alert", "The embedded dev backend could not start: {error}" }
        }
        if let Some(url) = fallback {
            aside { class: "banner warning", role: "alert",
                if url == crate::backend::UNCONFIGURED_URL {
                    "This build has no sign-in server configured (OTP_API_URL), so signing in cannot work. Build it with OTP_API_URL=https://… or start it with OTP_API_URL set."
                } else {
                    "No backend is configured (OTP_API_URL), so the app tries {url}, where only a dev server on this device answers."
                }
            }
        }
    }
}
