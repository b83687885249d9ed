//! With the embedded dev backend: a banner that says so and shows the last code it "sent", so a
//! newcomer can try the whole flow with no phone and no mailbox. Also where keychain problems,
//! a failed embedded server and a missing backend configuration are told.

use crate::auth::{use_auth, use_auth_state};
use crate::backend::Backend;
use dioxus::prelude::*;

/// The dev banner and app-wide notices.
#[component]
pub fn DevBanner() -> Element {
    let backend = try_use_context::<Backend>();
    let auth = use_auth();
    let state = use_auth_state();
    let embedded = backend.as_ref().is_some_and(|b| b.embedded);
    let last_code = use_resource(move || {
        let client = auth.client().sdk().clone();
        let pending = state.read().pending().cloned();
        let _sends = state.read().sends;
        async move {
            let pending = pending.filter(|_| embedded)?;
            let message = client.dev_outbox(&pending.identifier).await.ok()?;
            Some((pending.masked, message.code))
        }
    });
    let warning = state.read().keychain_warning.clone();
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
                if let Some(Some((to, code))) = &*last_code.read() {
                    " Last code to {to}: "
                    code { id: "dev-code", "{code}" }
                }
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
        if let Some(warning) = warning {
            aside { class: "banner warning", role: "alert",
                "You will be signed out when the app closes: {warning}"
            }
        }
    }
}
