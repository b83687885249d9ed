//! The error next to a field: its sentence, and the way out as a button.

use crate::auth::{Field, Remedy, use_auth_state};
use dioxus::prelude::*;

/// Shows the current error if it belongs to `field`.
#[component]
pub fn FieldError(field: Field, on_remedy: EventHandler<Remedy>) -> Element {
    let state = use_auth_state();
    let Some(error) = state.read().error_for(field).cloned() else {
        return rsx! {};
    };
    let id = match field {
        Field::Identifier => "identifier-error",
        Field::Code => "code-error",
        Field::Form => "form-error",
    };
    let label = error.remedy.map(|r| match r {
        Remedy::SignUpInstead => "Create an account instead",
        Remedy::SignInInstead => "Sign in instead",
        Remedy::Resend => "Send a new code",
        Remedy::Retry => "Try again",
        Remedy::StartOver => "Start again",
    });
    rsx! {
        p { class: "field-error", id, role: "alert",
            "{error.message}"
            if let (Some(remedy), Some(label)) = (error.remedy, label) {
                " "
                button { r#type: "button", class: "link", onclick: move |_| on_remedy.call(remedy), "{label}" }
            }
        }
    }
}
