//! The code entry: one code field that takes a pasted code and submits itself at six digits, a
//! resend countdown that follows the server, and a way back to change the number.

use super::{FieldError, focus_on_mount};
use crate::channel::Channel;
use crate::error::{Field, Remedy};
use crate::machine::{Busy, Flow};
use crate::platform::sleep;
use crate::store::use_auth_store;
use crate::strings::Text;
use dioxus::prelude::*;
use std::time::Duration;

/// Digits of the code.
const CODE_LEN: usize = 6;

/// The code entry of the attempt in progress.
#[component]
pub fn Verify() -> Element {
    let store = use_auth_store();
    let state = store.state();
    let strings = store.strings();
    let mut code = use_signal(String::new);
    // The time comes from the store's clock; the tick only makes the countdown read it again.
    let mut now = use_signal(|| store.now_ms());
    use_future(move || async move {
        loop {
            sleep(Duration::from_millis(500)).await;
            now.set(store.now_ms());
        }
    });
    // A code that cannot be delivered is reported by the server a few seconds later.
    use_future(move || async move {
        loop {
            sleep(Duration::from_secs(2)).await;
            store.check_delivery();
        }
    });
    let Some(pending) = state.read().pending().cloned() else {
        return rsx! {};
    };
    let busy = state.read().busy;
    let wait = state.read().resend_wait_secs(now());
    let (title, change, no_code) = match pending.channel {
        Channel::Phone => (Text::VerifyPhoneTitle, Text::ChangePhone, Text::NoCodePhone),
        Channel::Email => (Text::VerifyEmailTitle, Text::ChangeEmail, Text::NoCodeEmail),
    };
    let sent_to = strings.get(Text::CodeSentTo).to_owned();
    let (before, after) = sent_to.split_once("{to}").unwrap_or((&sent_to, ""));
    let (flow, channel) = (pending.flow, pending.channel);
    let on_remedy = move |remedy: Remedy| match remedy {
        Remedy::Resend => store.resend(),
        Remedy::StartOver => store.back(),
        // Whichever failed: checking the code, or sending a new one.
        _ => store.retry(flow, String::new(), channel, code()),
    };
    rsx! {
        main { class: "otp-screen",
            h1 { "{strings.get(title)}" }
            p { class: "otp-lead", "{before}" strong { "{pending.masked}" } "{after}" }
            form {
                novalidate: true,
                onsubmit: move |e| {
                    e.prevent_default();
                    store.verify(code());
                },
                label { r#for: "code", "{strings.get(Text::CodeLabel)}" }
                input {
                    id: "code",
                    name: "code",
                    r#type: "text",
                    inputmode: "numeric",
                    autocomplete: "one-time-code",
                    pattern: "[0-9]*",
                    placeholder: "••••••",
                    class: "otp-code",
                    autofocus: true,
                    aria_invalid: state.read().error_for(Field::Code).is_some(),
                    aria_describedby: "code-error",
                    onmounted: focus_on_mount,
                    oninput: move |e| {
                        // Pasted codes may carry spaces or dashes ("123 456"): keep the digits.
                        let digits: String = e.value().chars().filter(char::is_ascii_digit).collect();
                        code.set(digits.clone());
                        if digits.len() == CODE_LEN {
                            store.verify(digits);
                        }
                    },
                }
                FieldError { field: Field::Code, on_remedy }
                FieldError { field: Field::Form, on_remedy }
                button {
                    r#type: "submit",
                    class: "otp-primary",
                    disabled: busy.is_some(),
                    aria_busy: busy == Some(Busy::Verify),
                    if busy == Some(Busy::Verify) {
                        span { class: "otp-spinner", aria_hidden: "true" }
                        "{strings.get(Text::Verifying)}"
                    } else {
                        "{strings.get(Text::Verify)}"
                    }
                }
            }
            div { class: "otp-row",
                button {
                    r#type: "button",
                    class: "otp-link",
                    id: "resend",
                    disabled: wait > 0 || busy.is_some(),
                    onclick: move |_| store.resend(),
                    if busy == Some(Busy::Resend) {
                        "{strings.get(Text::Resending)}"
                    } else if wait > 0 {
                        "{strings.fill(Text::ResendCodeIn, &[(\"n\", &wait.to_string())])}"
                    } else {
                        "{strings.get(Text::ResendCode)}"
                    }
                }
                button { r#type: "button", class: "otp-link", onclick: move |_| store.back(), "{strings.get(change)}" }
            }
            if pending.flow == Flow::SignIn {
                // The server does not say whether an account exists (enumeration protection):
                // a number or address with none gets no code, and this says what to do then.
                p { class: "otp-switch", "{strings.get(no_code)}" }
            }
        }
    }
}
