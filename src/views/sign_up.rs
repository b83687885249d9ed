//! Sign up: a phone number (or an email), Continue, and a way to the sign-in screen.

use crate::auth::Flow;
use crate::components::IdentifierForm;
use dioxus::prelude::*;

/// The sign-up screen.
#[component]
pub fn SignUp() -> Element {
    rsx! { IdentifierForm { flow: Flow::SignUp } }
}
