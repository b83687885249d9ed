//! The account's phone numbers and email addresses ([`Identifiers`]): each with its state
//! (primary, unverified) and actions (verify with a code, make primary, remove), and a field to
//! add one; and the code entries they need ([`CodeForm`], with the dev server's last code).

use crate::error::Error;
use crate::format::format_identifier;
use crate::hooks::{UseUser, use_user};
use crate::store::use_auth_store;
use crate::strings::Text;
use dioxus::prelude::*;
use otp_client::proto::{User, VerificationStatus};
use otp_client::{ErrorCode, Strategy};

/// A change that needs a recent code: the profile runs it, and asks for a code first when the
/// server says so.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Sensitive {
    /// Add a phone number or email address (as typed) and send it a code.
    Add(String),
    /// Remove an identifier.
    Remove(Strategy, String),
    /// Make an identifier the primary one of its kind.
    MakePrimary(Strategy, String),
    /// Delete the account.
    DeleteAccount,
}

/// One identifier of the user, as listed.
#[derive(Debug, Clone, PartialEq)]
struct Listed {
    id: String,
    strategy: Strategy,
    /// As typed (for the dev code lookup).
    value: String,
    /// As shown.
    shown: String,
    verified: bool,
    primary: bool,
}

fn listed(user: &User) -> Vec<Listed> {
    let verified = |v: &Option<otp_client::proto::Verification>| {
        v.as_ref()
            .is_some_and(|v| v.status == VerificationStatus::Verified)
    };
    let phones = user.phone_numbers.iter().map(|p| Listed {
        id: p.id.clone(),
        strategy: Strategy::PhoneCode,
        value: p.phone_number.clone(),
        shown: format_identifier(&p.phone_number),
        verified: verified(&p.verification),
        primary: user.primary_phone_number_id.as_deref() == Some(p.id.as_str()),
    });
    let emails = user.email_addresses.iter().map(|e| Listed {
        id: e.id.clone(),
        strategy: Strategy::EmailCode,
        value: e.email_address.clone(),
        shown: e.email_address.clone(),
        verified: verified(&e.verification),
        primary: user.primary_email_address_id.as_deref() == Some(e.id.as_str()),
    });
    phones.chain(emails).collect()
}

/// The identifier a code was sent to and is awaited for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Awaiting {
    strategy: Strategy,
    id: String,
    value: String,
    /// Codes sent so far (each shows the dev server's newest one).
    sends: u32,
}

/// Adds `typed` (an email address if it has an `@`, else a phone number) and sends it a code.
pub(crate) async fn add_and_send(user: UseUser, typed: &str) -> Result<Awaiting, Error> {
    let (strategy, id, value) = if typed.contains('@') {
        let e = user.add_email(typed).await?;
        (Strategy::EmailCode, e.id, e.email_address)
    } else {
        let p = user.add_phone(typed).await?;
        (Strategy::PhoneCode, p.id, p.phone_number)
    };
    user.prepare_identifier_verification(strategy, &id).await?;
    Ok(Awaiting {
        strategy,
        id,
        value,
        sends: 1,
    })
}

/// The user's phone numbers and email addresses with their actions, and adding one; `awaiting`
/// is the one whose code is being typed (the profile sets it too, after a reverification).
#[component]
pub(crate) fn Identifiers(
    awaiting: Signal<Option<Awaiting>>,
    on_sensitive: EventHandler<Sensitive>,
) -> Element {
    let store = use_auth_store();
    let user = use_user();
    let strings = store.strings();
    let mut new_identifier = use_signal(String::new);
    let mut error = use_signal(|| None::<Error>);
    let mut working = use_signal(|| false);

    let send_code = move |to: Awaiting| async move {
        working.set(true);
        let result = user
            .prepare_identifier_verification(to.strategy, &to.id)
            .await;
        working.set(false);
        match result {
            Ok(_) => {
                error.set(None);
                awaiting.set(Some(Awaiting {
                    sends: to.sends + 1,
                    ..to
                }));
            }
            Err(e) => error.set(Some(e)),
        }
    };
    let add = move |_| async move {
        let typed = new_identifier().trim().to_owned();
        working.set(true);
        let added = add_and_send(user, &typed).await;
        working.set(false);
        match added {
            Ok(to) => {
                new_identifier.set(String::new());
                error.set(None);
                awaiting.set(Some(to));
            }
            Err(e) if e.code == Some(ErrorCode::SessionReverificationRequired) => {
                new_identifier.set(String::new());
                error.set(None);
                on_sensitive.call(Sensitive::Add(typed));
            }
            Err(e) => error.set(Some(e)),
        }
    };
    let verify = move |code: String| async move {
        let Some(to) = awaiting() else { return };
        working.set(true);
        let result = user
            .attempt_identifier_verification(to.strategy, &to.id, &code)
            .await;
        working.set(false);
        match result {
            Ok(_) => {
                awaiting.set(None);
                error.set(None);
            }
            Err(e) => error.set(Some(e)),
        }
    };

    let list = user.user().map(|u| listed(&u)).unwrap_or_default();
    let busy = working();
    rsx! {
        h2 { "{strings.get(Text::IdentifiersTitle)}" }
        ul { class: "otp-devices otp-identifiers",
            for item in list {
                li { key: "{item.id}",
                    span { class: "otp-device", "{item.shown}" }
                    if item.primary {
                        span { class: "otp-badge", "{strings.get(Text::Primary)}" }
                    }
                    if !item.verified {
                        span { class: "otp-badge otp-badge-muted", "{strings.get(Text::Unverified)}" }
                    }
                    span { class: "otp-actions",
                        if !item.verified {
                            button {
                                r#type: "button",
                                class: "otp-link",
                                disabled: busy,
                                onclick: {
                                    let to = Awaiting { strategy: item.strategy, id: item.id.clone(), value: item.value.clone(), sends: 0 };
                                    move |_| send_code(to.clone())
                                },
                                "{strings.get(Text::Verify)}"
                            }
                        } else if !item.primary {
                            button {
                                r#type: "button",
                                class: "otp-link",
                                disabled: busy,
                                onclick: {
                                    let action = Sensitive::MakePrimary(item.strategy, item.id.clone());
                                    move |_| on_sensitive.call(action.clone())
                                },
                                "{strings.get(Text::MakePrimary)}"
                            }
                        }
                        button {
                            r#type: "button",
                            class: "otp-link otp-danger-link",
                            disabled: busy,
                            onclick: {
                                let action = Sensitive::Remove(item.strategy, item.id.clone());
                                move |_| {
                                    if awaiting().is_some_and(|a| Sensitive::Remove(a.strategy, a.id) == action) {
                                        awaiting.set(None);
                                    }
                                    on_sensitive.call(action.clone())
                                }
                            },
                            "{strings.get(Text::Remove)}"
                        }
                    }
                }
            }
        }
        if let Some(to) = awaiting() {
            CodeForm {
                key: "{to.id}-{to.sends}",
                id: "identifier-code",
                lead: strings.fill(Text::CodeSentTo, &[("to", &format_identifier(&to.value))]),
                to: to.value.clone(),
                busy,
                on_code: verify,
                on_resend: move |_| send_code(to.clone()),
                on_cancel: move |_| awaiting.set(None),
            }
        }
        if let Some(e) = error() {
            p { class: "otp-error", id: "identifiers-error", role: "alert", "{e}" }
        }
        form {
            class: "otp-add-identifier",
            novalidate: true,
            onsubmit: move |e| {
                e.prevent_default();
                spawn(add(()));
            },
            label { r#for: "new-identifier", "{strings.get(Text::AddIdentifierLabel)}" }
            input {
                id: "new-identifier",
                name: "new-identifier",
                r#type: "text",
                autocomplete: "off",
                aria_describedby: "identifiers-error",
                value: "{new_identifier}",
                oninput: move |e| new_identifier.set(e.value()),
            }
            button { r#type: "submit", class: "otp-primary", disabled: busy || new_identifier().trim().is_empty(),
                "{strings.get(Text::Add)}"
            }
        }
    }
}

/// A code entry: six digits (pasted codes keep their digits; the sixth submits), a "Send a new
/// code" and a "Cancel"; in development against `otp-server --dev`, the last code sent to `to`.
#[component]
pub(crate) fn CodeForm(
    id: String,
    lead: String,
    to: String,
    busy: bool,
    on_code: EventHandler<String>,
    on_resend: EventHandler<()>,
    on_cancel: EventHandler<()>,
) -> Element {
    let store = use_auth_store();
    let strings = store.strings();
    let mut code = use_signal(String::new);
    let to_for_dev = to.clone();
    let dev_code = use_resource(move || {
        let client = store.client();
        let to = to_for_dev.clone();
        async move { client.sdk().dev_outbox(&to).await.ok().map(|m| m.code) }
    });
    let label_id = format!("{id}-label");
    rsx! {
        form {
            class: "otp-code-form",
            novalidate: true,
            onsubmit: move |e| {
                e.prevent_default();
                on_code.call(code());
            },
            p { class: "otp-lead", "{lead}" }
            label { id: "{label_id}", r#for: "{id}", "{strings.get(Text::CodeLabel)}" }
            input {
                id: "{id}",
                name: "{id}",
                r#type: "text",
                inputmode: "numeric",
                autocomplete: "one-time-code",
                pattern: "[0-9]*",
                placeholder: "••••••",
                class: "otp-code",
                onmounted: super::focus_on_mount,
                oninput: move |e| {
                    let digits: String = e.value().chars().filter(char::is_ascii_digit).collect();
                    code.set(digits.clone());
                    if digits.len() == 6 {
                        on_code.call(digits);
                    }
                },
            }
            if let Some(Some(last)) = dev_code.read().clone() {
                p { class: "otp-dev-code", {dev_line(&strings, &to, &last)} }
            }
            button { r#type: "submit", class: "otp-primary", disabled: busy, "{strings.get(Text::Verify)}" }
            div { class: "otp-row",
                button { r#type: "button", class: "otp-link", disabled: busy, onclick: move |_| on_resend.call(()),
                    "{strings.get(Text::SendNewCode)}"
                }
                button { r#type: "button", class: "otp-link", onclick: move |_| on_cancel.call(()),
                    "{strings.get(Text::Cancel)}"
                }
            }
        }
    }
}

/// "Last code to {to}: {code}" of the dev server.
fn dev_line(strings: &crate::strings::Strings, to: &str, code: &str) -> String {
    strings
        .fill(Text::DevCode, &[("to", to)])
        .replace("{code}", code)
}
