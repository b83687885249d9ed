//! [`UserProfile`]: the signed-in user's phone numbers and email addresses (add, verify, make
//! primary, remove), their devices (each with "Sign out"), "Sign out of all devices", and
//! "Delete account" behind a confirmation that says what is lost. A change the server wants a
//! recent code for is held while [`Reverify`] asks for one, then made.

use super::identifiers::{Awaiting, CodeForm, Identifiers, Sensitive, add_and_send};
use crate::error::Error;
use crate::hooks::{UseUser, use_user};
use crate::store::use_auth_store;
use crate::strings::{Strings, Text};
use dioxus::prelude::*;
use otp_client::ErrorCode;
use otp_client::proto::{Session, SessionVerificationStatus, SignInFactor};

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
    // A change waiting for a fresh code.
    let mut held = use_signal(|| None::<Sensitive>);
    // An identifier whose code is being typed.
    let mut awaiting = use_signal(|| None::<Awaiting>);

    let sensitive = move |action: Sensitive| async move {
        working.set(true);
        let result = match &action {
            Sensitive::Add(typed) => add_and_send(user, typed)
                .await
                .map(|to| awaiting.set(Some(to))),
            other => make(user, other).await,
        };
        working.set(false);
        match result {
            Err(e) if e.code == Some(ErrorCode::SessionReverificationRequired) => {
                error.set(None);
                held.set(Some(action));
            }
            other => error.set(other.err()),
        }
    };

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
    let delete = move |_| sensitive(Sensitive::DeleteAccount);

    let busy = working();
    rsx! {
        section { class: "otp-profile", lang: strings.locale().tag(),
            if let Some(action) = held() {
                Reverify {
                    on_done: move |confirmed: bool| {
                        held.set(None);
                        if confirmed {
                            spawn(sensitive(action.clone()));
                        }
                    },
                }
            }
            Identifiers { awaiting, on_sensitive: move |action| { spawn(sensitive(action)); } }
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
                // The focus goes to the safe choice: an Enter must not delete the account.
                button { r#type: "button", class: "otp-link", onmounted: super::focus_on_mount, onclick: move |_| confirming.set(false),
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

/// Makes a change that may need a recent code.
async fn make(user: UseUser, action: &Sensitive) -> Result<(), Error> {
    match action {
        Sensitive::Remove(strategy, id) => user.remove_identifier(*strategy, id).await,
        Sensitive::MakePrimary(strategy, id) => user.set_primary(*strategy, id).await.map(drop),
        Sensitive::DeleteAccount => user.delete_account().await,
        Sensitive::Add(typed) => add_and_send(user, typed).await.map(drop),
    }
}

/// "Confirm it's you": sends a code to the user's primary identifier and takes it back;
/// `on_done(true)` once the session is verified again, `on_done(false)` on Cancel.
#[component]
fn Reverify(on_done: EventHandler<bool>) -> Element {
    let store = use_auth_store();
    let user = use_user();
    let strings = store.strings();
    let mut sends = use_signal(|| 0u32);
    // Which of the user's factors the code goes to (the primary one first).
    let mut chosen = use_signal(|| 0usize);
    let mut error = use_signal(|| None::<Error>);
    let mut working = use_signal(|| false);
    // The factors, and whether the code went out to the chosen one (`None` when the session
    // was verified already).
    let sent = use_resource(move || async move {
        let (_again, pick) = (sends(), chosen());
        let started = user.reverify().await?;
        if started.status == SessionVerificationStatus::Complete {
            // Verified already (a code was typed in the last minutes): nothing to ask.
            on_done.call(true);
            return Ok(None);
        }
        let factors = started.supported_first_factors.unwrap_or_default();
        let Some(factor) = factors.get(pick).cloned() else {
            return Ok(None);
        };
        let outcome = user.prepare_reverification(&factor).await.map(drop);
        Ok::<_, Error>(Some((factors, pick, outcome)))
    });
    let attempt = move |code: String| async move {
        let Some(Ok(Some((factors, pick, _)))) = sent.read().clone() else {
            return;
        };
        let strategy = factors[pick].strategy;
        working.set(true);
        let result = user.attempt_reverification(strategy, &code).await;
        working.set(false);
        match result {
            Ok(v) if v.status == SessionVerificationStatus::Complete => on_done.call(true),
            Ok(_) => {}
            Err(e) => error.set(Some(e)),
        }
    };
    let cancel = rsx! {
        button { r#type: "button", class: "otp-link", onclick: move |_| on_done.call(false), "{strings.get(Text::Cancel)}" }
    };
    let state = sent.read().clone();
    rsx! {
        div { class: "otp-reverify", role: "dialog", aria_labelledby: "reverify-title",
            h2 { id: "reverify-title", "{strings.get(Text::ReverifyTitle)}" }
            match state {
                None => rsx! { p { class: "otp-lead", role: "status", span { class: "otp-spinner", aria_hidden: "true" } " {strings.get(Text::SendingCode)}" } },
                Some(Err(e)) => rsx! {
                    p { class: "otp-error", role: "alert", "{e}" }
                    {cancel}
                },
                Some(Ok(None)) => cancel,
                Some(Ok(Some((factors, pick, outcome)))) => rsx! {
                    match outcome {
                        Ok(()) => rsx! {
                            CodeForm {
                                key: "{sends}-{pick}",
                                id: "reverify-code",
                                lead: strings.fill(Text::ReverifyLead, &[("to", &factors[pick].safe_identifier)]),
                                to: factor_value(user, &factors[pick]),
                                busy: working(),
                                on_code: attempt,
                                on_resend: move |_| {
                                    error.set(None);
                                    sends += 1;
                                },
                                on_cancel: move |_| on_done.call(false),
                            }
                        },
                        // The code could not go there (locked, too many codes…): say why, and
                        // offer the other factors below.
                        Err(e) => rsx! {
                            p { class: "otp-error", role: "alert", "{e}" }
                            {cancel}
                        },
                    }
                    if let Some(e) = error() {
                        p { class: "otp-error", role: "alert", "{e}" }
                    }
                    for (i, other) in factors.iter().enumerate().filter(|(i, _)| *i != pick) {
                        button {
                            key: "{i}",
                            r#type: "button",
                            class: "otp-link",
                            onclick: move |_| {
                                error.set(None);
                                chosen.set(i);
                            },
                            "{strings.fill(Text::SendCodeInstead, &[(\"to\", &other.safe_identifier)])}"
                        }
                    }
                },
            }
        }
    }
}

/// The unmasked phone number or email address of a factor (for the dev server's last code).
fn factor_value(user: UseUser, factor: &SignInFactor) -> String {
    let Some(u) = user.user() else {
        return String::new();
    };
    let phone = u
        .phone_numbers
        .iter()
        .find(|p| Some(&p.id) == factor.phone_number_id.as_ref())
        .map(|p| p.phone_number.clone());
    let email = u
        .email_addresses
        .iter()
        .find(|e| Some(&e.id) == factor.email_address_id.as_ref())
        .map(|e| e.email_address.clone());
    phone.or(email).unwrap_or_default()
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
