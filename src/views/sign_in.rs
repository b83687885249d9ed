//! Sign in: the same shape as sign up; an identifier without an account offers to create one.

use crate::auth::Flow;
use crate::components::IdentifierForm;
use dioxus::prelude::*;

/// The sign-in screen.
#[component]
pub fn SignIn() -> Element {
    rsx! { IdentifierForm { flow: Flow::SignIn } }
}
