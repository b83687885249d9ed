//! The screens, and the guard that shows the one the auth state calls for: the URL follows the
//! state, never the other way round, so no screen can be reached out of turn.

use crate::auth::{Flow, Phase, use_auth_state};
use crate::views::{Home, SignIn, SignUp, Starting, Verify};
use dioxus::prelude::*;

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
        #[route("/verify")]
        Verify {},
}

/// The route the state calls for, when it is not `current` (`None` while starting).
pub fn redirect(phase: &Phase, current: &Route) -> Option<Route> {
    let wanted = match phase {
        Phase::Starting => return None,
        Phase::SignedIn(_) => Route::Home {},
        Phase::Verifying(_) => Route::Verify {},
        Phase::SignedOut(Flow::SignUp) => Route::SignUp {},
        Phase::SignedOut(Flow::SignIn) => Route::SignIn {},
    };
    (&wanted != current).then_some(wanted)
}

/// Renders the screen the state calls for and moves the URL there.
#[component]
fn Guard() -> Element {
    let state = use_auth_state();
    let current = use_route::<Route>();
    let phase = state.read().phase.clone();
    let target = redirect(&phase, &current);
    use_effect(use_reactive!(|target| {
        if let Some(route) = target {
            navigator().replace(route);
        }
    }));
    if phase == Phase::Starting {
        return rsx! { Starting {} };
    }
    match target.unwrap_or(current) {
        Route::Home {} => rsx! { Home {} },
        Route::SignUp {} => rsx! { SignUp {} },
        Route::SignIn {} => rsx! { SignIn {} },
        Route::Verify {} => rsx! { Verify {} },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Channel, Pending, SignedIn};

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
        let signed_in = SignedIn {
            session_id: "sess_1".into(),
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
            redirect(&Phase::SignedOut(Flow::SignIn), &Route::Verify {}),
            Some(Route::SignIn {})
        );
        assert_eq!(
            redirect(&Phase::Verifying(pending), &Route::SignIn {}),
            Some(Route::Verify {})
        );
        assert_eq!(
            redirect(&Phase::SignedIn(signed_in.clone()), &Route::Verify {}),
            Some(home.clone())
        );
        assert_eq!(redirect(&Phase::SignedIn(signed_in), &home), None);
    }
}
