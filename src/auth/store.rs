//! The auth store the screens share: the [`AuthState`] in a signal plus the [`AuthClient`] that
//! changes it and the [`Clock`] that times it. Provided once through context; screens call its
//! methods and read its state (and the time from it), and hold no protocol logic.

use super::client::AuthClient;
use super::machine::{AuthState, Busy, Channel, Flow};
use super::token_store::TokenStore;
use crate::clock::Clock;
use dioxus::prelude::*;
use std::sync::Arc;

/// The shared auth store. Cheap to clone; clones share the state.
#[derive(Clone)]
pub struct AuthStore {
    /// What the screens show.
    state: Signal<AuthState>,
    /// The protocol steps, with the token storage.
    client: AuthClient,
    /// The time of sends and errors, and of the countdowns computed from them.
    clock: Arc<dyn Clock>,
}

impl PartialEq for AuthStore {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state
    }
}

/// The auth store provided by [`crate::App`] (or by a test).
pub fn use_auth() -> AuthStore {
    use_context::<AuthStore>()
}

/// The auth state, for reading in a screen (subscribes the screen to changes).
pub fn use_auth_state() -> Signal<AuthState> {
    use_auth().state
}

impl AuthStore {
    /// A store for the backend at `base_url`; `tokens` is where the client token lives, with an
    /// optional warning about it (no keychain); `clock` tells the time (the system clock in the
    /// app). Call inside a component (it creates a signal).
    pub fn new(
        base_url: &str,
        (tokens, warning): (Arc<dyn TokenStore>, Option<String>),
        clock: Arc<dyn Clock>,
    ) -> Self {
        let client = AuthClient::new(base_url, tokens);
        let keychain_warning = warning.or_else(|| client.take_warning());
        Self {
            state: Signal::new(AuthState {
                keychain_warning,
                ..AuthState::default()
            }),
            client,
            clock,
        }
    }

    /// A store whose state starts as `state`, for component tests.
    pub fn with_state(
        base_url: &str,
        tokens: Arc<dyn TokenStore>,
        clock: Arc<dyn Clock>,
        state: AuthState,
    ) -> Self {
        Self {
            state: Signal::new(state),
            client: AuthClient::new(base_url, tokens),
            clock,
        }
    }

    /// The state signal.
    pub fn state(&self) -> Signal<AuthState> {
        self.state
    }

    /// The protocol client.
    pub fn client(&self) -> &AuthClient {
        &self.client
    }

    /// Now, in ms since the epoch, from the store's clock: what the screens' countdowns compare
    /// with the state's deadlines.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// At start: goes to the signed-in screen when the saved token has an active session.
    pub fn restore(&self) {
        let mut state = self.state;
        let client = self.client.clone();
        let clock = self.clock.clone();
        if !state.write().begin(Busy::Restoring) {
            return;
        }
        spawn(async move {
            let result = client.restore().await;
            let mut s = state.write();
            match result {
                Ok(Some(session)) => s.signed_in(session),
                Ok(None) => s.signed_out(Flow::SignUp),
                Err(e) => s.failed(e, clock.now_ms()),
            }
            s.keychain_warning = s.keychain_warning.take().or_else(|| client.take_warning());
        });
    }

    /// "Continue" on the sign-up or sign-in screen: creates the attempt and sends a code.
    pub fn start(&self, flow: Flow, input: String, channel: Channel) {
        let mut state = self.state;
        let client = self.client.clone();
        let clock = self.clock.clone();
        if !state.write().begin(Busy::Continue) {
            return;
        }
        spawn(async move {
            let result = match flow {
                Flow::SignUp => client.start_sign_up(&input, channel).await,
                Flow::SignIn => client.start_sign_in(&input, channel).await,
            };
            let mut s = state.write();
            match result {
                Ok(pending) => s.code_sent(pending, clock.now_ms()),
                Err(e) => {
                    s.switch_flow(flow);
                    s.failed(e, clock.now_ms());
                }
            }
            s.keychain_warning = s.keychain_warning.take().or_else(|| client.take_warning());
        });
    }

    /// Checks a code.
    pub fn verify(&self, code: String) {
        let mut state = self.state;
        let client = self.client.clone();
        let clock = self.clock.clone();
        let Some(pending) = state.peek().pending().cloned() else {
            return;
        };
        if !state.write().begin(Busy::Verify) {
            return;
        }
        spawn(async move {
            let result = client.verify(&pending, &code).await;
            let mut s = state.write();
            match result {
                Ok(session) => s.signed_in(session),
                Err(e) => s.failed(e, clock.now_ms()),
            }
            s.keychain_warning = s.keychain_warning.take().or_else(|| client.take_warning());
        });
    }

    /// Asks the server whether the current code could be delivered, and says so if not.
    /// Quiet about its own failures: this runs in the background while the user waits.
    pub fn check_delivery(&self) {
        let mut state = self.state;
        let client = self.client.clone();
        let Some(pending) = state.peek().pending().cloned() else {
            return;
        };
        if state.peek().busy.is_some() || state.peek().error.is_some() {
            return;
        }
        spawn(async move {
            if let Ok(true) = client.delivery_failed(&pending).await {
                state.write().delivery_failed(&pending.attempt_id);
            }
        });
    }

    /// Sends another code.
    pub fn resend(&self) {
        let mut state = self.state;
        let client = self.client.clone();
        let clock = self.clock.clone();
        let Some(pending) = state.peek().pending().cloned() else {
            return;
        };
        if !state.write().begin(Busy::Resend) {
            return;
        }
        spawn(async move {
            let result = client.resend(&pending).await;
            let mut s = state.write();
            match result {
                Ok(()) => s.code_resent(clock.now_ms()),
                Err(e) => s.failed(e, clock.now_ms()),
            }
        });
    }

    /// Signs out on the server and forgets the token.
    pub fn sign_out(&self) {
        let mut state = self.state;
        let client = self.client.clone();
        let clock = self.clock.clone();
        if !state.write().begin(Busy::SignOut) {
            return;
        }
        spawn(async move {
            let result = client.sign_out().await;
            let mut s = state.write();
            match result {
                Ok(()) => s.signed_out(Flow::SignIn),
                Err(e) => s.failed(e, clock.now_ms()),
            }
            s.keychain_warning = s.keychain_warning.take().or_else(|| client.take_warning());
        });
    }

    /// Leaves the verify screen to change the number or email.
    pub fn back(&self) {
        self.state.clone().write().back();
    }

    /// Switches between the sign-up and sign-in screens.
    pub fn switch_flow(&self, flow: Flow) {
        self.state.clone().write().switch_flow(flow);
    }
}
