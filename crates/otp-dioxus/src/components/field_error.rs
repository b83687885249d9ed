//! The error next to a field: its sentence, announced (`role="alert"`), and the way out as a
//! button.

use crate::error::{Field, Remedy};
use crate::store::use_auth_store;
use crate::strings::Text;
use dioxus::prelude::*;

/// Shows the current error if it belongs to `field`; its way out calls `on_remedy`.
#[component]
pub fn FieldError(field: Field, on_remedy: EventHandler<Remedy>) -> Element {
    let store = use_auth_store();
    let Some(error) = store.state().read().error_for(field).cloned() else {
        return rsx! {};
    };
    let id = match field {
        Field::Identifier => "identifier-error",
        Field::Code => "code-error",
        Field::Form => "form-error",
    };
    let strings = store.strings();
    let label = error.remedy.map(|r| {
        strings.get(match r {
            Remedy::SignUpInstead => Text::SignUpInstead,
            Remedy::SignInInstead => Text::SignInInstead,
            Remedy::Resend => Text::SendNewCode,
            Remedy::Retry => Text::TryAgain,
            Remedy::StartOver => Text::StartAgain,
        })
    });
    rsx! {
        p { class: "otp-error", id, role: "alert",
            "{error.message}"
            if let (Some(remedy), Some(label)) = (error.remedy, label) {
                " "
                button { r#type: "button", class: "otp-link", onclick: move |_| on_remedy.call(remedy), "{label}" }
            }
        }
    }
}
