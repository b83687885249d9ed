//! [`UserProfile`]: the signed-in user's devices (each with "Sign out"), "Sign out of all
//! devices", and "Delete account" behind a confirmation that says what is lost.

use crate::error::Error;
use crate::hooks::use_user;
use crate::store::use_auth_store;
use crate::strings::{Strings, Text};
use dioxus::prelude::*;
use otp_client::proto::Session;

/// The prebuilt account screen's parts: the devices the user is signed in on and deleting the
/// account. Put it on a signed-in screen.
///
/// ```no_run
/// use dioxus::prelude::*;
/// use otp_dioxus::{SignedIn, components};
///
/// fn Account() -> Element {
///     rsx! { SignedIn { components::UserProfile {} } }
/// }
/// ```
#[component]
pub fn UserProfile() -> Element {
    let store = use_auth_store();
    let user = use_user();
    let strings = store.strings();
    let this_session = store.state().read().session().map(|s| s.session_id.clone());
    let mut sessions = use_resource(move || async move { user.active_sessions().await });
    let mut error = use_signal(|| None::<Error>);
    let mut confirming = use_signal(|| false);
    let mut working = use_signal(|| false);

    let revoke = move |id: String| async move {
        working.set(true);
        let result = user.revoke_session(&id).await;
        working.set(false);
        error.set(result.err());
        sessions.restart();
    };
    let current = this_session.clone();
    let everywhere = move |_| {
        let current = current.clone();
        async move {
            working.set(true);
            let others = match sessions.read().as_ref() {
                Some(Ok(list)) => list.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
                _ => Vec::new(),
            };
            for id in others.iter().filter(|id| Some(*id) != current.as_ref()) {
                if let Err(e) = user.revoke_session(id).await {
                    error.set(Some(e));
                }
            }
            // This device last: its sign-out leaves the screen.
            let result = crate::hooks::auth_of(store).sign_out().await;
            working.set(false);
            error.set(result.err());
        }
    };
    let delete = move |_| async move {
        working.set(true);
        let result = user.delete_account().await;
        working.set(false);
        error.set(result.err());
    };

    let busy = working();
    rsx! {
        section { class: "otp-profile", lang: strings.locale().tag(),
            h2 { "{strings.get(Text::DevicesTitle)}" }
            match &*sessions.read() {
                None => rsx! { p { class: "otp-lead", role: "status", span { class: "otp-spinner", aria_hidden: "true" } " {strings.get(Text::Loading)}" } },
                Some(Err(e)) => rsx! { p { class: "otp-error", role: "alert", "{e}" } },
                Some(Ok(list)) => rsx! {
                    ul { class: "otp-devices",
                        for session in list.iter().cloned() {
                            li { key: "{session.id}",
                                span { class: "otp-device", "{device_line(&strings, &session)}" }
                                if Some(&session.id) == this_session.as_ref() {
                                    span { class: "otp-this-device", "{strings.get(Text::ThisDevice)}" }
                                } else {
                                    button {
                                        r#type: "button",
                                        class: "otp-link",
                                        disabled: busy,
                                        onclick: move |_| revoke(session.id.clone()),
                                        "{strings.get(Text::SignOut)}"
                                    }
                                }
                            }
                        }
                    }
                },
            }
            button { r#type: "button", class: "otp-link", disabled: busy, onclick: everywhere,
                "{strings.get(Text::SignOutEverywhere)}"
            }
            if let Some(e) = error() {
                p { class: "otp-error", id: "profile-error", role: "alert", "{e}" }
            }
            h2 { "{strings.get(Text::DeleteAccountTitle)}" }
            if confirming() {
                p { class: "otp-warning-text", "{strings.get(Text::DeleteAccountWarning)}" }
                button { r#type: "button", class: "otp-primary otp-danger", disabled: busy, onclick: delete,
                    if busy { "{strings.get(Text::Deleting)}" } else { "{strings.get(Text::DeleteAccountConfirm)}" }
                }
                button { r#type: "button", class: "otp-link", onclick: move |_| confirming.set(false),
                    "{strings.get(Text::Cancel)}"
                }
            } else {
                button { r#type: "button", class: "otp-link otp-danger-link", onclick: move |_| confirming.set(true),
                    "{strings.get(Text::DeleteAccount)}"
                }
            }
        }
    }
}

/// "Chrome on Mac OSX", "otp-client on linux", or "Unknown device".
fn device_line(strings: &Strings, session: &Session) -> String {
    let activity = session.latest_activity.as_ref();
    let app = activity.and_then(|a| a.browser_name.clone());
    let device = activity.and_then(|a| a.device_type.clone());
    let line = match (app, device) {
        (Some(app), Some(device)) => {
            strings.fill(Text::DeviceLine, &[("app", &app), ("device", &device)])
        }
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => strings.get(Text::UnknownDevice).to_owned(),
    };
    match activity.and_then(|a| a.ip_address.as_deref()) {
        Some(ip) => format!("{line} · {ip}"),
        None => line,
    }
}
