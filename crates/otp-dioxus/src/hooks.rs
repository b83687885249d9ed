//! The hooks an app's own screens call, named as in Clerk's SDKs and the guide: [`use_auth`],
//! [`use_sign_up`], [`use_sign_in`], [`use_user`]. Each returns a `Copy` handle; its async methods run in the
//! [`AuthProvider`](crate::AuthProvider)'s scope (a screen that closes half-way does not cancel
//! them) and fail with an [`Error`] whose message is ready to show.

use crate::channel::Channel;
use crate::error::{Context, Error};
use crate::machine::Phase;
use crate::store::{AuthStore, use_auth_store};
use dioxus::prelude::*;
use otp_client::proto::{
    EmailAddress, PhoneNumber, Session, SessionVerification, SignIn, SignInFactor, SignUp, User,
};
use otp_client::{FirstFactor, Strategy, UserIdentifier};

/// The session: who is signed in, and the calls that change it. From [`use_auth`].
#[derive(Clone, Copy, PartialEq)]
pub struct UseAuth {
    store: AuthStore,
}

/// The session handle of `store` (for the crate's components, which already hold the store).
pub(crate) fn auth_of(store: AuthStore) -> UseAuth {
    UseAuth { store }
}

/// The session of the nearest [`AuthProvider`](crate::AuthProvider).
///
/// ```no_run
/// use dioxus::prelude::*;
/// use otp_dioxus::use_auth;
///
/// #[component]
/// fn Account() -> Element {
///     let auth = use_auth();
///     let Some(user_id) = auth.user_id() else {
///         return rsx! { p { "Not signed in." } };
///     };
///     rsx! {
///         p { "Signed in as {user_id}" }
///         button { onclick: move |_| async move { let _ = auth.sign_out().await; }, "Sign out" }
///     }
/// }
/// ```
pub fn use_auth() -> UseAuth {
    UseAuth {
        store: use_auth_store(),
    }
}

impl UseAuth {
    /// Whether the saved session has been checked (false only at start; true also when the
    /// check failed, so that an app never waits forever: the prebuilt screens then offer Try
    /// again).
    pub fn is_loaded(&self) -> bool {
        let state = self.store.state();
        let state = state.read();
        state.phase != Phase::Starting || state.error.is_some()
    }

    /// Whether a user is signed in.
    pub fn is_signed_in(&self) -> bool {
        matches!(self.store.state().read().phase, Phase::SignedIn(_))
    }

    /// The signed-in user's id (`user_…`).
    pub fn user_id(&self) -> Option<String> {
        match &self.store.state().read().phase {
            Phase::SignedIn(s) => Some(s.user_id.clone()),
            _ => None,
        }
    }

    /// The active session's id (`sess_…`).
    pub fn session_id(&self) -> Option<String> {
        match &self.store.state().read().phase {
            Phase::SignedIn(s) => Some(s.session_id.clone()),
            _ => None,
        }
    }

    /// The signed-in user, with their phone numbers and email addresses.
    pub fn user(&self) -> Option<User> {
        // Read the state first, so that the component follows sign-in and sign-out.
        let session_id = self.session_id()?;
        let session = self.store.client().sdk().session()?;
        (session.id == session_id).then_some(session.user)
    }

    /// A keychain problem to tell the user (the session will not survive a restart), if any.
    pub fn keychain_warning(&self) -> Option<String> {
        self.store.state().read().keychain_warning.clone()
    }

    /// Makes `session_id` the active session (after a sign-up or sign-in completes, with its
    /// `created_session_id`), as the guide's `setActive`.
    pub async fn set_active(&self, session_id: &str) -> Result<(), Error> {
        self.store.set_active(session_id).await
    }

    /// Ends this device's sessions on the server and forgets its token.
    pub async fn sign_out(&self) -> Result<(), Error> {
        self.store.sign_out_now().await
    }

    /// A short-lived JWT (60 s) for the app's own API, which checks it against the server's
    /// JWKS; the same one until less than 10 s of it remain. `None` when nobody is signed in.
    pub async fn get_token(&self) -> Result<Option<String>, Error> {
        self.store.session_token().await
    }
}

/// A sign-up in steps, as the guide's `useSignUp`. From [`use_sign_up`].
#[derive(Clone, Copy, PartialEq)]
pub struct UseSignUp {
    store: AuthStore,
}

/// The sign-up calls of the nearest [`AuthProvider`](crate::AuthProvider).
///
/// ```no_run
/// use dioxus::prelude::*;
/// use otp_dioxus::{Error, Strategy, use_auth, use_sign_up};
///
/// #[component]
/// fn SignUpPage() -> Element {
///     let (sign_up, auth) = (use_sign_up(), use_auth());
///     let (mut phone, mut code, mut error) = (use_signal(String::new), use_signal(String::new), use_signal(String::new));
///     let send = move |_| async move {
///         let sent = async {
///             sign_up.create_phone(&phone()).await?;
///             sign_up.prepare_verification(Strategy::PhoneCode).await
///         };
///         if let Err(e) = sent.await {
///             error.set(e.to_string());
///         }
///     };
///     let verify = move |_| async move {
///         let done = async {
///             let sign_up = sign_up.attempt_verification(Strategy::PhoneCode, &code()).await?;
///             auth.set_active(&sign_up.created_session_id.unwrap_or_default()).await
///         };
///         if let Err(e) = done.await {
///             error.set(e.to_string());
///         }
///     };
///     rsx! {
///         input { r#type: "tel", oninput: move |e| phone.set(e.value()) }
///         button { onclick: send, "Send code" }
///         input { autocomplete: "one-time-code", oninput: move |e| code.set(e.value()) }
///         button { onclick: verify, "Verify" }
///         p { role: "alert", "{error}" }
///     }
/// }
/// ```
pub fn use_sign_up() -> UseSignUp {
    UseSignUp {
        store: use_auth_store(),
    }
}

impl UseSignUp {
    /// Starts a sign-up with a phone number (any common format; the server normalizes it).
    pub async fn create_phone(&self, phone_number: &str) -> Result<SignUp, Error> {
        let input = phone_number.to_owned();
        let context = Context::SignUp(Channel::Phone);
        self.store
            .call(context, async move |c| {
                c.sign_up().create_phone(&input).await
            })
            .await
    }

    /// Starts a sign-up with an email address.
    pub async fn create_email(&self, email_address: &str) -> Result<SignUp, Error> {
        let input = email_address.to_owned();
        let context = Context::SignUp(Channel::Email);
        self.store
            .call(context, async move |c| {
                c.sign_up().create_email(&input).await
            })
            .await
    }

    /// Sends a code to the sign-up's phone number (`PhoneCode`) or email (`EmailCode`).
    pub async fn prepare_verification(&self, strategy: Strategy) -> Result<SignUp, Error> {
        let context = Context::SignUp(Channel::of(strategy));
        self.store
            .call(context, async move |c| {
                c.sign_up().prepare_verification(strategy).await
            })
            .await
    }

    /// Checks the code; when it is right the sign-up's `status` is `complete` and
    /// `created_session_id` names the new session (make it active with
    /// [`UseAuth::set_active`]).
    pub async fn attempt_verification(
        &self,
        strategy: Strategy,
        code: &str,
    ) -> Result<SignUp, Error> {
        let code = code.to_owned();
        self.store
            .call(Context::Verify, async move |c| {
                c.sign_up().attempt_verification(strategy, &code).await
            })
            .await
    }

    /// The sign-up in progress, as last seen.
    pub fn current(&self) -> Option<SignUp> {
        self.store.client().sdk().sign_up().current()
    }
}

/// A sign-in in steps, as the guide's `useSignIn`. From [`use_sign_in`].
#[derive(Clone, Copy, PartialEq)]
pub struct UseSignIn {
    store: AuthStore,
}

/// The sign-in calls of the nearest [`AuthProvider`](crate::AuthProvider).
///
/// ```no_run
/// use dioxus::prelude::*;
/// use otp_dioxus::{Error, Strategy, use_auth, use_sign_in};
///
/// #[component]
/// fn SignInPage() -> Element {
///     let (sign_in, auth) = (use_sign_in(), use_auth());
///     let (mut phone, mut code, mut error) = (use_signal(String::new), use_signal(String::new), use_signal(String::new));
///     let send = move |_| async move {
///         let sent = async {
///             let attempt = sign_in.create(&phone()).await?;
///             if let Some(factor) = attempt.first_factor(Strategy::PhoneCode) {
///                 sign_in.prepare_first_factor(factor).await?;
///             }
///             Ok::<_, Error>(())
///         };
///         if let Err(e) = sent.await {
///             error.set(e.to_string());
///         }
///     };
///     let verify = move |_| async move {
///         let done = async {
///             let sign_in = sign_in.attempt_first_factor(Strategy::PhoneCode, &code()).await?;
///             auth.set_active(&sign_in.created_session_id.unwrap_or_default()).await
///         };
///         if let Err(e) = done.await {
///             error.set(e.to_string());
///         }
///     };
///     rsx! {
///         input { r#type: "tel", oninput: move |e| phone.set(e.value()) }
///         button { onclick: send, "Send code" }
///         input { autocomplete: "one-time-code", oninput: move |e| code.set(e.value()) }
///         button { onclick: verify, "Verify" }
///         p { role: "alert", "{error}" }
///     }
/// }
/// ```
pub fn use_sign_in() -> UseSignIn {
    UseSignIn {
        store: use_auth_store(),
    }
}

impl UseSignIn {
    /// Starts a sign-in with a phone number or email address. The answer lists the account's
    /// `supported_first_factors` (masked); pick one with `first_factor(strategy)`.
    pub async fn create(&self, identifier: &str) -> Result<SignIn, Error> {
        let input = identifier.to_owned();
        let channel = if input.contains('@') {
            Channel::Email
        } else {
            Channel::Phone
        };
        self.store
            .call(Context::SignIn(channel), async move |c| {
                c.sign_in().create(&input).await
            })
            .await
    }

    /// Sends a code to `factor`, one of the sign-in's `supported_first_factors`.
    pub async fn prepare_first_factor(&self, factor: &SignInFactor) -> Result<SignIn, Error> {
        let factor = FirstFactor::from(factor);
        let context = Context::SignIn(Channel::of(factor.strategy));
        self.store
            .call(context, async move |c| {
                c.sign_in().prepare_first_factor(factor).await
            })
            .await
    }

    /// Checks the code; when it is right the sign-in's `status` is `complete` and
    /// `created_session_id` names the new session (make it active with
    /// [`UseAuth::set_active`]).
    pub async fn attempt_first_factor(
        &self,
        strategy: Strategy,
        code: &str,
    ) -> Result<SignIn, Error> {
        let code = code.to_owned();
        self.store
            .call(Context::Verify, async move |c| {
                c.sign_in().attempt_first_factor(strategy, &code).await
            })
            .await
    }

    /// The sign-in in progress, as last seen.
    pub fn current(&self) -> Option<SignIn> {
        self.store.client().sdk().sign_in().current()
    }
}

/// The signed-in user's account: their phone numbers and email addresses (add, verify, make
/// primary, remove), their devices (sign one out), reverification, and deleting the account.
/// From [`use_user`]; the prebuilt [`UserProfile`](crate::components::UserProfile) is made of
/// it. A sensitive change (removing a verified identifier, changing the primary one, deleting
/// the account) more than 10 minutes after the last code fails with the code
/// `session_reverification_required`: [`UseUser::reverify`], then try again.
#[derive(Clone, Copy, PartialEq)]
pub struct UseUser {
    store: AuthStore,
}

/// The account calls of the nearest [`AuthProvider`](crate::AuthProvider).
pub fn use_user() -> UseUser {
    UseUser {
        store: use_auth_store(),
    }
}

impl UseUser {
    /// The signed-in user (as [`UseAuth::user`]), read again after each change made here.
    pub fn user(&self) -> Option<User> {
        let _changes = self.store.account_changes();
        UseAuth { store: self.store }.user()
    }

    /// Adds an email address, unverified: it signs nothing in until the code sent by
    /// [`UseUser::prepare_identifier_verification`] is typed back.
    pub async fn add_email(&self, email: &str) -> Result<EmailAddress, Error> {
        let email = email.to_owned();
        self.store
            .account_call(Context::Account(Channel::Email), async move |c| {
                c.add_email(&email).await
            })
            .await
    }

    /// Adds a phone number, unverified.
    pub async fn add_phone(&self, phone: &str) -> Result<PhoneNumber, Error> {
        let phone = phone.to_owned();
        self.store
            .account_call(Context::Account(Channel::Phone), async move |c| {
                c.add_phone(&phone).await
            })
            .await
    }

    /// Sends a code to an added identifier (`strategy`: `EmailCode` for an email address).
    pub async fn prepare_identifier_verification(
        &self,
        strategy: Strategy,
        id: &str,
    ) -> Result<UserIdentifier, Error> {
        let id = id.to_owned();
        self.store
            .account_call(Context::Resend, async move |c| {
                c.prepare_identifier_verification(strategy, &id).await
            })
            .await
    }

    /// Types back the code sent to an added identifier: right, it signs the user in from now
    /// on.
    pub async fn attempt_identifier_verification(
        &self,
        strategy: Strategy,
        id: &str,
        code: &str,
    ) -> Result<UserIdentifier, Error> {
        let (id, code) = (id.to_owned(), code.to_owned());
        self.store
            .account_call(Context::Verify, async move |c| {
                c.attempt_identifier_verification(strategy, &id, &code)
                    .await
            })
            .await
    }

    /// Makes a verified identifier the primary one of its kind.
    pub async fn set_primary(&self, strategy: Strategy, id: &str) -> Result<User, Error> {
        let id = id.to_owned();
        self.store
            .account_call(
                Context::Account(Channel::of(strategy)),
                async move |c| match strategy {
                    Strategy::EmailCode => c.set_primary(Some(&id), None).await,
                    Strategy::PhoneCode => c.set_primary(None, Some(&id)).await,
                },
            )
            .await
    }

    /// Removes an identifier (the last verified one stays: `identification_deletion_failed`).
    pub async fn remove_identifier(&self, strategy: Strategy, id: &str) -> Result<(), Error> {
        let id = id.to_owned();
        self.store
            .account_call(Context::Account(Channel::of(strategy)), async move |c| {
                c.remove_identifier(strategy, &id).await.map(drop)
            })
            .await
    }

    /// Starts a reverification: the factors (the user's verified identifiers, masked) a code can
    /// be sent to, or `complete` if the last code is recent.
    pub async fn reverify(&self) -> Result<SessionVerification, Error> {
        self.store
            .account_call(Context::Session, async |c| c.reverify().await)
            .await
    }

    /// Sends a reverification code to one of the factors of [`UseUser::reverify`].
    pub async fn prepare_reverification(
        &self,
        factor: &SignInFactor,
    ) -> Result<SessionVerification, Error> {
        let factor = factor.clone();
        self.store
            .account_call(Context::Resend, async move |c| {
                let id = factor
                    .phone_number_id
                    .as_deref()
                    .or(factor.email_address_id.as_deref())
                    .unwrap_or_default();
                c.prepare_reverification(factor.strategy, id).await
            })
            .await
    }

    /// Types back the reverification code; right, sensitive changes are allowed for the next
    /// 10 minutes.
    pub async fn attempt_reverification(
        &self,
        strategy: Strategy,
        code: &str,
    ) -> Result<SessionVerification, Error> {
        let code = code.to_owned();
        self.store
            .account_call(Context::Verify, async move |c| {
                c.attempt_reverification(strategy, &code).await
            })
            .await
    }

    /// The user's active sessions on every device, oldest first, each with where it was last
    /// used from (`latest_activity`).
    pub async fn active_sessions(&self) -> Result<Vec<Session>, Error> {
        self.store
            .call(Context::Session, async |c| c.active_sessions().await)
            .await
    }

    /// Signs one of the user's devices out at once (a session of [`UseUser::active_sessions`]).
    pub async fn revoke_session(&self, session_id: &str) -> Result<Session, Error> {
        let id = session_id.to_owned();
        self.store
            .call(Context::Session, async move |c| c.revoke_session(&id).await)
            .await
    }

    /// Deletes the account and everything it holds; signs out every device, this one included
    /// (its keychain entry goes). Needs a recent sign-in: otherwise the error's code is
    /// `session_reverification_required`.
    pub async fn delete_account(&self) -> Result<(), Error> {
        self.store.delete_account().await
    }
}
