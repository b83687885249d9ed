//! The form shared by sign-up and sign-in: a phone number input with a switch to email, Continue,
//! and the link to the other screen.

use super::{FieldError, focus_on_mount};
use crate::auth::{Busy, Channel, Field, Flow, Remedy, use_auth, use_auth_state};
use dioxus::prelude::*;

/// The identifier form of `flow`.
#[component]
pub fn IdentifierForm(flow: Flow) -> Element {
    let auth = use_auth();
    let state = use_auth_state();
    let mut channel = use_signal(Channel::default);
    // Not bound back to the input (`value:`): a controlled input drops fast keystrokes.
    let mut value = use_signal(String::new);
    let busy = state.read().busy;
    let invalid = state.read().error_for(Field::Identifier).is_some();
    let (title, lead, question, other_label, other) = match flow {
        Flow::SignUp => (
            "Sign up",
            "Create your account with a one-time code. No password needed.",
            "Have an account?",
            "Sign in",
            Flow::SignIn,
        ),
        Flow::SignIn => (
            "Sign in",
            "We'll send you a one-time code.",
            "Don't have an account?",
            "Sign up",
            Flow::SignUp,
        ),
    };
    let (submit, remedy_auth, switch_auth) = (auth.clone(), auth.clone(), auth.clone());
    let on_remedy = move |remedy: Remedy| match remedy {
        Remedy::SignUpInstead => remedy_auth.start(Flow::SignUp, value(), channel()),
        Remedy::SignInInstead => remedy_auth.start(Flow::SignIn, value(), channel()),
        _ => remedy_auth.start(flow, value(), channel()),
    };
    rsx! {
        main { class: "screen",
            h1 { "{title}" }
            p { class: "lead", "{lead}" }
            form {
                novalidate: true,
                onsubmit: move |e| {
                    e.prevent_default();
                    submit.start(flow, value(), channel());
                },
                if channel() == Channel::Phone {
                    label { r#for: "identifier", "Phone number" }
                    input {
                        id: "identifier",
                        name: "phone_number",
                        r#type: "tel",
                        autocomplete: "tel",
                        inputmode: "tel",
                        placeholder: "+1 202 555 0143",
                        autofocus: true,
                        aria_invalid: invalid,
                        aria_describedby: "identifier-error",
                        onmounted: focus_on_mount,
                        oninput: move |e| value.set(e.value()),
                    }
                } else {
                    label { r#for: "identifier", "Email address" }
                    input {
                        id: "identifier",
                        name: "email_address",
                        r#type: "email",
                        autocomplete: "email",
                        inputmode: "email",
                        placeholder: "you@example.com",
                        autofocus: true,
                        aria_invalid: invalid,
                        aria_describedby: "identifier-error",
                        onmounted: focus_on_mount,
                        oninput: move |e| value.set(e.value()),
                    }
                }
                FieldError { field: Field::Identifier, on_remedy: on_remedy.clone() }
                button {
                    r#type: "button",
                    class: "link switch-channel",
                    onclick: move |_| {
                        channel.set(if channel() == Channel::Phone { Channel::Email } else { Channel::Phone });
                        value.set(String::new());
                    },
                    if channel() == Channel::Phone { "Use email instead" } else { "Use phone instead" }
                }
                FieldError { field: Field::Form, on_remedy }
                button {
                    r#type: "submit",
                    class: "primary",
                    disabled: busy.is_some(),
                    aria_busy: busy == Some(Busy::Continue),
                    if busy == Some(Busy::Continue) {
                        span { class: "spinner", aria_hidden: "true" }
                        "Sending code…"
                    } else {
                        "Continue"
                    }
                }
            }
            p { class: "switch",
                "{question} "
                button { r#type: "button", class: "link", onclick: move |_| switch_auth.switch_flow(other), "{other_label}" }
            }
        }
    }
}
