//! Verify: one code field that takes a pasted code and submits itself at six digits, a resend
//! countdown that follows the server, and a way back to change the number.

use crate::auth::{Busy, Channel, Field, Flow, Remedy, use_auth, use_auth_state};
use crate::components::{FieldError, focus_on_mount};
use crate::platform::sleep;
use dioxus::prelude::*;
use std::time::Duration;

/// Digits of the code.
const CODE_LEN: usize = 6;

/// The verification screen.
#[component]
pub fn Verify() -> Element {
    let auth = use_auth();
    let state = use_auth_state();
    let mut code = use_signal(String::new);
    // The time comes from the store's clock; the tick only makes the countdown read it again.
    let mut now = use_signal(|| auth.now_ms());
    let ticker = auth.clone();
    use_future(move || {
        let ticker = ticker.clone();
        async move {
            loop {
                sleep(Duration::from_millis(500)).await;
                now.set(ticker.now_ms());
            }
        }
    });
    // A code that cannot be delivered is reported by the server a few seconds later.
    let watcher = auth.clone();
    use_future(move || {
        let watcher = watcher.clone();
        async move {
            loop {
                sleep(Duration::from_secs(2)).await;
                watcher.check_delivery();
            }
        }
    });
    let Some(pending) = state.read().pending().cloned() else {
        return rsx! {};
    };
    let busy = state.read().busy;
    let wait = state.read().resend_wait_secs(now());
    let (title, change, no_code) = match pending.channel {
        Channel::Phone => (
            "Verify your phone number",
            "Change phone number",
            "No code? Check the number, or create an account if you don't have one yet.",
        ),
        Channel::Email => (
            "Verify your email",
            "Use a different email",
            "No code? Check the address and your spam folder, or create an account if you don't \
             have one yet.",
        ),
    };
    let (verify, resend, back) = (auth.clone(), auth.clone(), auth.clone());
    let on_remedy = {
        let auth = auth.clone();
        move |remedy: Remedy| match remedy {
            Remedy::Resend => auth.resend(),
            Remedy::StartOver => auth.back(),
            _ => auth.verify(code()),
        }
    };
    rsx! {
        main { class: "screen",
            h1 { "{title}" }
            p { class: "lead", "Enter the 6-digit code we sent to " strong { "{pending.masked}" } "." }
            form {
                novalidate: true,
                onsubmit: move |e| {
                    e.prevent_default();
                    verify.verify(code());
                },
                label { r#for: "code", "Verification code" }
                input {
                    id: "code",
                    name: "code",
                    r#type: "text",
                    inputmode: "numeric",
                    autocomplete: "one-time-code",
                    pattern: "[0-9]*",
                    placeholder: "••••••",
                    class: "code",
                    autofocus: true,
                    aria_invalid: state.read().error_for(Field::Code).is_some(),
                    aria_describedby: "code-error",
                    onmounted: focus_on_mount,
                    oninput: move |e| {
                        // Pasted codes may carry spaces or dashes ("123 456"): keep the digits.
                        let digits: String = e.value().chars().filter(char::is_ascii_digit).collect();
                        code.set(digits.clone());
                        if digits.len() == CODE_LEN {
                            auth.verify(digits);
                        }
                    },
                }
                FieldError { field: Field::Code, on_remedy: on_remedy.clone() }
                FieldError { field: Field::Form, on_remedy }
                button {
                    r#type: "submit",
                    class: "primary",
                    disabled: busy.is_some(),
                    aria_busy: busy == Some(Busy::Verify),
                    if busy == Some(Busy::Verify) {
                        span { class: "spinner", aria_hidden: "true" }
                        "Verifying…"
                    } else {
                        "Verify"
                    }
                }
            }
            div { class: "row",
                button {
                    r#type: "button",
                    class: "link",
                    id: "resend",
                    disabled: wait > 0 || busy.is_some(),
                    onclick: move |_| resend.resend(),
                    if busy == Some(Busy::Resend) {
                        "Sending…"
                    } else if wait > 0 {
                        "Resend code in {wait} s"
                    } else {
                        "Resend code"
                    }
                }
                button { r#type: "button", class: "link", onclick: move |_| back.back(), "{change}" }
            }
            if pending.flow == Flow::SignIn {
                // The server does not say whether an account exists (enumeration protection):
                // a number or address with none gets no code, and this says what to do then.
                p { class: "switch", "{no_code}" }
            }
        }
    }
}
