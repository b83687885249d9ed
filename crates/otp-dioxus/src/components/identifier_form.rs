//! The form shared by sign-up and sign-in: a phone number input with a switch to email,
//! Continue, and the link to the other form.

use super::{FieldError, focus_on_mount};
use crate::channel::Channel;
use crate::error::{Field, Remedy};
use crate::machine::{Busy, Flow};
use crate::store::use_auth_store;
use crate::strings::Text;
use dioxus::prelude::*;

/// The identifier form of `flow`, showing `channel`'s input first.
#[component]
pub fn IdentifierForm(flow: Flow, channel: Channel) -> Element {
    let store = use_auth_store();
    let state = store.state();
    let strings = store.strings();
    let mut channel = use_signal(|| channel);
    // Not bound back to the input (`value:`): a controlled input drops fast keystrokes.
    let mut value = use_signal(String::new);
    let busy = state.read().busy;
    let invalid = state.read().error_for(Field::Identifier).is_some();
    let (title, lead, question, other_label, other) = match flow {
        Flow::SignUp => (
            Text::SignUpTitle,
            Text::SignUpLead,
            Text::SignUpQuestion,
            Text::SignInLink,
            Flow::SignIn,
        ),
        Flow::SignIn => (
            Text::SignInTitle,
            Text::SignInLead,
            Text::SignInQuestion,
            Text::SignUpLink,
            Flow::SignUp,
        ),
    };
    let on_remedy = move |remedy: Remedy| match remedy {
        Remedy::SignUpInstead => store.start(Flow::SignUp, value(), channel()),
        Remedy::SignInInstead => store.start(Flow::SignIn, value(), channel()),
        // The attempt is gone: the form is there to start again.
        Remedy::StartOver => store.dismiss(),
        Remedy::Retry | Remedy::Resend => store.retry(flow, value(), channel(), String::new()),
    };
    let (label, placeholder, switch) = match channel() {
        Channel::Phone => (Text::PhoneLabel, Text::PhonePlaceholder, Text::UseEmail),
        Channel::Email => (Text::EmailLabel, Text::EmailPlaceholder, Text::UsePhone),
    };
    rsx! {
        main { class: "otp-screen",
            h1 { "{strings.get(title)}" }
            p { class: "otp-lead", "{strings.get(lead)}" }
            form {
                novalidate: true,
                onsubmit: move |e| {
                    e.prevent_default();
                    store.start(flow, value(), channel());
                },
                label { r#for: "identifier", "{strings.get(label)}" }
                // Two branches, so that switching creates a new input (the right keyboard and
                // autofill) and gives it the focus.
                if channel() == Channel::Phone {
                    input {
                        id: "identifier",
                        name: "phone_number",
                        r#type: "tel",
                        autocomplete: "tel",
                        inputmode: "tel",
                        placeholder: "{strings.get(placeholder)}",
                        autofocus: true,
                        aria_invalid: invalid,
                        aria_describedby: "identifier-error",
                        onmounted: focus_on_mount,
                        oninput: move |e| value.set(e.value()),
                    }
                } else {
                    input {
                        id: "identifier",
                        name: "email_address",
                        r#type: "email",
                        autocomplete: "email",
                        inputmode: "email",
                        placeholder: "{strings.get(placeholder)}",
                        autofocus: true,
                        aria_invalid: invalid,
                        aria_describedby: "identifier-error",
                        onmounted: focus_on_mount,
                        oninput: move |e| value.set(e.value()),
                    }
                }
                FieldError { field: Field::Identifier, on_remedy }
                button {
                    r#type: "button",
                    class: "otp-link otp-switch-channel",
                    onclick: move |_| {
                        channel.set(if channel() == Channel::Phone { Channel::Email } else { Channel::Phone });
                        value.set(String::new());
                    },
                    "{strings.get(switch)}"
                }
                FieldError { field: Field::Form, on_remedy }
                button {
                    r#type: "submit",
                    class: "otp-primary",
                    disabled: busy.is_some(),
                    aria_busy: busy == Some(Busy::Continue),
                    if busy == Some(Busy::Continue) {
                        span { class: "otp-spinner", aria_hidden: "true" }
                        "{strings.get(Text::SendingCode)}"
                    } else {
                        "{strings.get(Text::Continue)}"
                    }
                }
            }
            p { class: "otp-switch",
                "{strings.get(question)} "
                button { r#type: "button", class: "otp-link", onclick: move |_| store.switch_flow(other), "{strings.get(other_label)}" }
            }
        }
    }
}
