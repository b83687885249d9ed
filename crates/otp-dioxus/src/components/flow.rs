//! [`SignIn`] and [`SignUp`]: the whole flow each, on whatever step the auth state is.

use super::FieldError;
use super::identifier_form::IdentifierForm;
use super::verify::Verify;
use crate::channel::Channel;
use crate::error::Field;
use crate::machine::{Flow, Phase};
use crate::store::use_auth_store;
use crate::strings::Text;
use dioxus::prelude::*;

/// The prebuilt sign-in: a phone number (or an email), the code, and a link to sign up. An
/// identifier without an account offers to create one.
///
/// ```no_run
/// use dioxus::prelude::*;
/// use otp_dioxus::{AuthProvider, SignedOut, components};
///
/// fn App() -> Element {
///     rsx! {
///         AuthProvider { api_url: "http://127.0.0.1:8787",
///             SignedOut { components::SignIn {} }
///         }
///     }
/// }
/// ```
#[component]
pub fn SignIn(
    /// The input shown first: a phone number (the default) or an email address.
    #[props(default)]
    channel: Channel,
) -> Element {
    rsx! { Steps { flow: Flow::SignIn, channel } }
}

/// The prebuilt sign-up: the same shape as [`SignIn`], with a link to sign in.
#[component]
pub fn SignUp(
    /// The input shown first: a phone number (the default) or an email address.
    #[props(default)]
    channel: Channel,
) -> Element {
    rsx! { Steps { flow: Flow::SignUp, channel } }
}

/// The step the state is on, starting on `flow`'s form.
#[component]
fn Steps(flow: Flow, channel: Channel) -> Element {
    let store = use_auth_store();
    // Opened on this flow's form, whatever the state's last form was.
    use_hook(move || store.switch_flow(flow));
    let state = store.state();
    let strings = store.strings();
    let phase = state.read().phase.clone();
    rsx! {
        div { class: "otp", lang: strings.locale().tag(),
            super::KeychainWarning {}
            match phase {
                Phase::Starting => rsx! {
                    main { class: "otp-screen",
                        h1 { "{strings.get(Text::SignInTitle)}" }
                        if state.read().error.is_some() {
                            FieldError { field: Field::Form, on_remedy: move |_| store.restore() }
                        } else {
                            p { class: "otp-lead", role: "status",
                                span { class: "otp-spinner", aria_hidden: "true" }
                                " {strings.get(Text::Loading)}"
                            }
                        }
                    }
                },
                Phase::Verifying(_) => rsx! { Verify {} },
                Phase::SignedOut(current) => rsx! { IdentifierForm { key: "{current:?}", flow: current, channel } },
                Phase::SignedIn(_) => rsx! {},
            }
        }
    }
}
