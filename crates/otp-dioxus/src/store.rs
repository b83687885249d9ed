//! [`AuthStore`]: the [`AuthState`] in a signal, the [`AuthClient`] that changes it, the
//! [`Clock`] that times it and the sentences it speaks, made once by the
//! [`AuthProvider`](crate::AuthProvider) and shared through context. It runs every request as a
//! task of the provider's scope, so no screen change can cancel one half-way, and each request
//! has the client's time limit.

use crate::channel::Channel;
use crate::client::{AuthClient, signed_in};
use crate::clock::Clock;
use crate::error::{Context, Error};
use crate::machine::{AuthState, Busy, Flow, Pending};
use crate::strings::{Strings, Text};
use dioxus::core::Runtime;
use dioxus::prelude::*;
use std::future::Future;
use std::sync::Arc;

/// The shared auth store. `Copy`; copies share the state.
#[derive(Clone, Copy)]
pub struct AuthStore {
    /// What the screens show.
    state: Signal<AuthState>,
    /// The protocol steps, the clock and the session JWT last fetched.
    inner: CopyValue<Inner>,
    /// The provider's scope, where every request runs.
    scope: ScopeId,
    /// Bumped after each change to the account (an identifier added, verified, removed…), so
    /// that what shows the user reads it again.
    account: Signal<u64>,
}

struct Inner {
    client: AuthClient,
    clock: Arc<dyn Clock>,
    /// A delivery check is running (one at a time, however slow the network).
    checking: bool,
    /// The last session JWT: (session id, token, expiry in ms).
    token: Option<(String, String, i64)>,
}

impl PartialEq for AuthStore {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state
    }
}

/// The store of the nearest [`AuthProvider`](crate::AuthProvider) (or of a test's own
/// provider). Panics outside one, naming the fix.
pub fn use_auth_store() -> AuthStore {
    try_use_context::<AuthStore>()
        .expect("otp_dioxus: this component needs an `AuthProvider` above it in the tree")
}

impl AuthStore {
    /// A store over `client` whose state starts as `state`, running its requests in the current
    /// component's scope (call it in the provider, or in a test's root). The client's keychain
    /// warning, if any, goes to the state.
    pub fn new(client: AuthClient, clock: Arc<dyn Clock>, mut state: AuthState) -> Self {
        state.keychain_warning = state.keychain_warning.or_else(|| client.take_warning());
        Self {
            state: Signal::new(state),
            account: Signal::new(0),
            inner: CopyValue::new(Inner {
                client,
                clock,
                checking: false,
                token: None,
            }),
            scope: dioxus::core::current_scope_id(),
        }
    }

    /// The state signal.
    pub fn state(&self) -> Signal<AuthState> {
        self.state
    }

    /// The protocol client.
    pub fn client(&self) -> AuthClient {
        self.inner.read().client.clone()
    }

    /// The sentences of this store's language.
    pub fn strings(&self) -> Strings {
        self.inner.read().client.strings().clone()
    }

    /// Now, in ms since the epoch, from the store's clock: what the screens' countdowns compare
    /// with the state's deadlines.
    pub fn now_ms(&self) -> i64 {
        self.inner.read().clock.now_ms()
    }

    /// Runs `task` in the provider's scope: it ends only when it is done, or when the provider
    /// goes.
    fn spawn(&self, task: impl Future<Output = ()> + 'static) {
        Runtime::current().spawn(self.scope, task);
    }

    /// Runs `task` in the provider's scope and waits for its result. The caller may go away
    /// meanwhile (its screen closed): the task still finishes, and its effects (a saved token,
    /// a new session) still happen.
    pub(crate) async fn run<T: 'static>(
        &self,
        task: impl Future<Output = Result<T, Error>> + 'static,
    ) -> Result<T, Error> {
        let (tx, rx) = futures_channel::oneshot::channel();
        self.spawn(async move {
            let _ = tx.send(task.await);
        });
        let strings = self.strings();
        rx.await
            .unwrap_or_else(|_| Err(Error::form(strings.get(Text::Unexpected), None)))
    }

    /// Marks `busy` as running; its epoch, or `None` if another request runs.
    fn begin(&self, busy: Busy) -> Option<u64> {
        let mut state = self.state;
        let mut s = state.write();
        s.begin(busy).then_some(s.epoch)
    }

    /// Shows a keychain problem the client met, once.
    fn take_warning(&self, client: &AuthClient) {
        let mut state = self.state;
        if let Some(w) = client.take_warning() {
            state.write().keychain_warning.get_or_insert(w);
        }
    }

    /// At start: signed in when the saved token has an active session, else signed out.
    pub fn restore(&self) {
        let (mut state, store) = (self.state, *self);
        let client = self.client();
        if self.begin(Busy::Restoring).is_none() {
            return;
        }
        self.spawn(async move {
            let result = client.restore().await;
            let now = store.now_ms();
            match result {
                Ok(Some(session)) => state.write().signed_in(session),
                Ok(None) => {
                    let mut s = state.write();
                    let flow = s.first_flow;
                    s.signed_out(flow);
                }
                Err(e) => state.write().failed(e, now),
            }
            store.take_warning(&client);
        });
    }

    /// "Continue" on the sign-up or sign-in form: creates the attempt and sends a code.
    pub fn start(&self, flow: Flow, input: String, channel: Channel) {
        let (mut state, store) = (self.state, *self);
        let client = self.client();
        let Some(epoch) = self.begin(Busy::Continue) else {
            return;
        };
        self.spawn(async move {
            let result = match flow {
                Flow::SignUp => client.start_sign_up(&input, channel).await,
                Flow::SignIn => client.start_sign_in(&input, channel).await,
            };
            store.take_warning(&client);
            if !state.peek().is_current(epoch) {
                return;
            }
            let now = store.now_ms();
            let mut s = state.write();
            match result {
                Ok(pending) => s.code_sent(pending, now),
                Err(e) => {
                    s.switch_flow(flow);
                    s.failed(e, now);
                }
            }
        });
    }

    /// Checks a code; when it is right, the new session is active and the state signed in.
    pub fn verify(&self, code: String) {
        let (mut state, store) = (self.state, *self);
        let client = self.client();
        let Some(pending) = state.peek().pending().cloned() else {
            return;
        };
        let Some(epoch) = self.begin(Busy::Verify) else {
            return;
        };
        self.spawn(async move {
            let result = client.verify(&pending, &code).await;
            store.take_warning(&client);
            let now = store.now_ms();
            match result {
                // A session is a session, even if the user left the form meanwhile.
                Ok(session) => state.write().signed_in(session),
                Err(e) if state.peek().is_current(epoch) => state.write().failed(e, now),
                Err(_) => {}
            }
        });
    }

    /// Asks the server whether the current code could be delivered, and says so if not.
    /// Quiet about its own failures: this runs in the background while the user waits.
    pub fn check_delivery(&self) {
        let (mut state, mut inner) = (self.state, self.inner);
        let Some(pending) = state.peek().pending().cloned() else {
            return;
        };
        let quiet = state.peek().busy.is_none() && state.peek().error.is_none();
        if !quiet || inner.peek().checking {
            return;
        }
        inner.write().checking = true;
        let client = self.client();
        self.spawn(async move {
            let failed = client.delivery_failed(&pending).await;
            inner.write().checking = false;
            if let Ok(true) = failed {
                let message = client.delivery_failed_message(&pending);
                state.write().delivery_failed(&pending.attempt_id, message);
            }
        });
    }

    /// Sends another code.
    pub fn resend(&self) {
        let (mut state, store) = (self.state, *self);
        let client = self.client();
        let Some(pending) = state.peek().pending().cloned() else {
            return;
        };
        let Some(epoch) = self.begin(Busy::Resend) else {
            return;
        };
        self.spawn(async move {
            let result = client.resend(&pending).await;
            if !state.peek().is_current(epoch) {
                return;
            }
            let now = store.now_ms();
            match result {
                Ok(()) => state.write().code_resent(now),
                Err(e) => state.write().failed(e, now),
            }
        });
    }

    /// Signs out on the server and forgets the token.
    pub fn sign_out(&self) {
        let (mut state, store) = (self.state, *self);
        let client = self.client();
        if self.begin(Busy::SignOut).is_none() {
            return;
        }
        self.spawn(async move {
            let result = client.sign_out().await;
            store.take_warning(&client);
            let now = store.now_ms();
            match result {
                Ok(()) => state.write().signed_out(Flow::SignIn),
                Err(e) => state.write().failed(e, now),
            }
        });
    }

    /// Leaves the code entry to change the number or email.
    pub fn back(&self) {
        let mut state = self.state;
        state.write().back();
    }

    /// Switches between the sign-up and sign-in forms (a request still running for the form
    /// left no longer holds up the new one). Writes nothing when `flow` is already shown.
    pub fn switch_flow(&self, flow: Flow) {
        let mut state = self.state;
        if state.peek().wants_switch(flow) {
            state.write().switch_flow(flow);
        }
    }

    /// Hides the error on screen.
    pub fn dismiss(&self) {
        let mut state = self.state;
        state.write().dismiss();
    }

    /// "Try again": repeats the request that failed (`code` is what the code field holds).
    pub fn retry(&self, flow: Flow, input: String, channel: Channel, code: String) {
        let failed = self.state.peek().failed_request;
        match failed {
            Some(Busy::Restoring) => {
                self.state.clone().write().dismiss();
                // The start-up check again, from the start state.
                self.restore();
            }
            Some(Busy::Resend) => self.resend(),
            Some(Busy::Verify) => self.verify(code),
            Some(Busy::SignOut) => self.sign_out(),
            Some(Busy::Continue) | None => self.start(flow, input, channel),
        }
    }

    /// The session JWT for the app's own API, fetched again when less than 10 s remain of it;
    /// `None` when signed out.
    pub(crate) async fn session_token(&self) -> Result<Option<String>, Error> {
        let store = *self;
        self.run(async move {
            let client = store.client();
            let Some(session) = client.sdk().session() else {
                return Ok(None);
            };
            let now = store.now_ms();
            if let Some((id, jwt, expires)) = &store.inner.peek().token
                && *id == session.id
                && expires - now > 10_000
            {
                return Ok(Some(jwt.clone()));
            }
            let jwt = client
                .call(Context::Session, async |c| c.session_token().await)
                .await?;
            // The claim `exp` says when it expires; a token without one is not kept.
            let expires = jwt_expiry_ms(&jwt).unwrap_or(now);
            store.inner.clone().write().token = Some((session.id, jwt.clone(), expires));
            Ok(Some(jwt))
        })
        .await
    }

    /// Makes `session_id` the active session (the guide's `setActive`) and the state signed in.
    pub(crate) async fn set_active(&self, session_id: &str) -> Result<(), Error> {
        let (mut state, store) = (self.state, *self);
        let id = session_id.to_owned();
        self.run(async move {
            let client = store.client();
            let session = client
                .call(Context::Session, async |c| c.set_active(&id).await)
                .await?;
            state.write().signed_in(signed_in(&session));
            Ok(())
        })
        .await
    }

    /// Signs out and waits for the answer.
    pub(crate) async fn sign_out_now(&self) -> Result<(), Error> {
        let (mut state, store) = (self.state, *self);
        self.run(async move {
            let client = store.client();
            client.sign_out().await?;
            store.inner.clone().write().token = None;
            state.write().signed_out(Flow::SignIn);
            Ok(())
        })
        .await
    }

    /// Deletes the account; then nobody is signed in and the token is forgotten.
    pub(crate) async fn delete_account(&self) -> Result<(), Error> {
        let (mut state, store) = (self.state, *self);
        self.run(async move {
            store.client().delete_account().await?;
            store.inner.clone().write().token = None;
            state.write().signed_out(Flow::SignUp);
            Ok(())
        })
        .await
    }

    /// Runs one SDK call in the provider's scope, saving the token it may change.
    pub(crate) async fn call<T: 'static>(
        &self,
        context: Context,
        f: impl AsyncFnOnce(&otp_client::Client) -> Result<T, otp_client::Error> + 'static,
    ) -> Result<T, Error> {
        let store = *self;
        self.run(async move { store.client().call(context, f).await })
            .await
    }

    /// [`AuthStore::call`] for a call that changes the account: whatever it answers, the user
    /// shown is read again.
    pub(crate) async fn account_call<T: 'static>(
        &self,
        context: Context,
        f: impl AsyncFnOnce(&otp_client::Client) -> Result<T, otp_client::Error> + 'static,
    ) -> Result<T, Error> {
        let result = self.call(context, f).await;
        *self.account.clone().write() += 1;
        result
    }

    /// How many times the account changed: reading it subscribes the caller to the changes.
    pub(crate) fn account_changes(&self) -> u64 {
        *self.account.read()
    }

    /// What a code in progress was sent to, for the dev code display.
    pub(crate) fn pending(&self) -> Option<Pending> {
        self.state.read().pending().cloned()
    }
}

/// The `exp` claim of a JWT, in ms.
fn jwt_expiry_ms(jwt: &str) -> Option<i64> {
    use base64::Engine;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("exp")?.as_i64()?.checked_mul(1000)
}
