//! The screens, and the guard that shows the one the auth state calls for: the URL follows the
//! state, never the other way round, so no screen can be reached out of turn.

use crate::views::{Home, Starting};
use dioxus::prelude::*;
use otp_dioxus::{Flow, Phase, components, use_auth_store};

/// The screens.
#[derive(Debug, Clone, Routable, PartialEq)]
#[rustfmt::skip]
pub enum Route {
    #[layout(Guard)]
        #[route("/")]
        Home {},
        #[route("/sign-up")]
        SignUp {},
        #[route("/sign-in")]
        SignIn {},
}

/// The route the state calls for, when it is not `current` (`None` while starting). The code
/// entry is a step of the sign-up or sign-in screen it belongs to.
pub fn redirect(phase: &Phase, current: &Route) -> Option<Route> {
    let flow = match phase {
        Phase::Starting => return None,
        Phase::SignedIn(_) => return (current != &Route::Home {}).then_some(Route::Home {}),
        Phase::Verifying(p) => p.flow,
        Phase::SignedOut(flow) => *flow,
    };
    let wanted = match flow {
        Flow::SignUp => Route::SignUp {},
        Flow::SignIn => Route::SignIn {},
    };
    (&wanted != current).then_some(wanted)
}

/// Renders the screen the state calls for and moves the URL there.
#[component]
fn Guard() -> Element {
    let state = use_auth_store().state();
    let current = use_route::<Route>();
    let phase = state.read().phase.clone();
    let target = redirect(&phase, &current);
    use_effect(use_reactive!(|target| {
        if let Some(route) = target {
            navigator().replace(route);
        }
    }));
    if phase == Phase::Starting {
        // The start-up check failed (no server): the sign-up screen says why, with Try again.
        return match state.read().error {
            None => rsx! { Starting {} },
            Some(_) => rsx! { SignUp {} },
        };
    }
    match target.unwrap_or(current) {
        Route::Home {} => rsx! { Home {} },
        Route::SignUp {} => rsx! { SignUp {} },
        Route::SignIn {} => rsx! { SignIn {} },
    }
}

/// The sign-up screen: otp-dioxus's prebuilt one.
#[component]
fn SignUp() -> Element {
    rsx! { components::SignUp {} }
}

/// The sign-in screen: otp-dioxus's prebuilt one.
#[component]
fn SignIn() -> Element {
    rsx! { components::SignIn {} }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otp_dioxus::{Channel, Pending, SignedInSession};

    #[test]
    fn each_state_has_its_screen() {
        let pending = Pending {
            flow: Flow::SignIn,
            attempt_id: "sia_1".into(),
            channel: Channel::Email,
            identifier_id: None,
            identifier: "jane@example.com".into(),
            masked: "j***@example.com".into(),
        };
        let signed_in = SignedInSession {
            session_id: "sess_1".into(),
            user_id: "user_1".into(),
            identifier: "x".into(),
            started_at: 0,
        };
        let home = Route::Home {};
        assert_eq!(redirect(&Phase::Starting, &home), None);
        assert_eq!(
            redirect(&Phase::SignedOut(Flow::SignUp), &home),
            Some(Route::SignUp {})
        );
        assert_eq!(
            redirect(&Phase::SignedOut(Flow::SignIn), &Route::SignUp {}),
            Some(Route::SignIn {})
        );
        assert_eq!(
            redirect(&Phase::Verifying(pending.clone()), &Route::SignUp {}),
            Some(Route::SignIn {})
        );
        assert_eq!(
            redirect(&Phase::Verifying(pending), &Route::SignIn {}),
            None
        );
        assert_eq!(
            redirect(&Phase::SignedIn(signed_in.clone()), &Route::SignIn {}),
            Some(home.clone())
        );
        assert_eq!(redirect(&Phase::SignedIn(signed_in), &home), None);
    }
}
