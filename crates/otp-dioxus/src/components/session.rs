//! Pieces around the flow: [`SignOutButton`], [`DevCode`] and [`KeychainWarning`].

use crate::machine::Busy;
use crate::store::use_auth_store;
use crate::strings::Text;
use dioxus::prelude::*;

/// A "Sign out" button, showing progress while the server ends the session.
#[component]
pub fn SignOutButton() -> Element {
    let store = use_auth_store();
    let strings = store.strings();
    let busy = store.state().read().busy;
    rsx! {
        button {
            r#type: "button",
            class: "otp-primary",
            disabled: busy.is_some(),
            aria_busy: busy == Some(Busy::SignOut),
            onclick: move |_| store.sign_out(),
            if busy == Some(Busy::SignOut) {
                span { class: "otp-spinner", aria_hidden: "true" }
                "{strings.get(Text::SigningOut)}"
            } else {
                "{strings.get(Text::SignOut)}"
            }
        }
    }
}

/// In development against `otp-server --dev`: the last code the server "sent" for the code
/// entry on screen (`Last code to +1********43: 123456`), read from the dev server's outbox.
/// Shows nothing when the server is not in dev mode (its outbox does not exist).
#[component]
pub fn DevCode() -> Element {
    let store = use_auth_store();
    let strings = store.strings();
    let last = use_resource(move || {
        let pending = store.pending();
        let _sends = store.state().read().sends;
        let client = store.client();
        async move {
            let pending = pending?;
            let message = client.sdk().dev_outbox(&pending.identifier).await.ok()?;
            Some((pending.masked, message.code))
        }
    });
    let Some(Some((to, code))) = last.read().clone() else {
        return rsx! {};
    };
    let text = strings.fill(Text::DevCode, &[("to", &to)]);
    let (before, after) = text.split_once("{code}").unwrap_or((&text, ""));
    rsx! {
        span { class: "otp-dev-code", " {before}" code { id: "dev-code", "{code}" } "{after}" }
    }
}

/// The keychain problem, if any, that will sign the user out when the app closes.
#[component]
pub fn KeychainWarning() -> Element {
    let store = use_auth_store();
    let warning = store.state().read().keychain_warning.clone();
    let Some(reason) = warning else {
        return rsx! {};
    };
    let text = store
        .strings()
        .fill(Text::KeychainWarning, &[("reason", &reason)]);
    rsx! { aside { class: "otp-warning", role: "alert", "{text}" } }
}
