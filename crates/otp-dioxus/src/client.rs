//! [`AuthClient`]: the protocol steps behind each screen, over `otp-client`. No UI and no
//! signals, so they are tested against a real server as they are. Each step keeps the keychain
//! in step with the client token the server handed out, and describes its errors in the
//! provider's language.

use crate::channel::Channel;
use crate::error::{Context, Error as FormError};
use crate::machine::{Flow, Pending, SignedInSession};
use crate::strings::{Strings, Text};
use crate::token_store::TokenStore;
use otp_client::proto::{Session, mask::mask_identifier};
use otp_client::{Client, Error, ErrorCode, FirstFactor};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The app's connection to the backend, with its token store.
#[derive(Clone)]
pub struct AuthClient {
    client: Client,
    tokens: Arc<dyn TokenStore>,
    /// The token last written to the store, to write only changes.
    saved: Arc<Mutex<Option<String>>>,
    /// A keychain problem not yet shown to the user.
    warning: Arc<Mutex<Option<String>>>,
    /// The sentences errors are described with.
    strings: Strings,
    /// Held by a request made before the server has given this device a client: the server
    /// makes a new client for each such request, so two at once would leave the device with
    /// whichever token came last, and the other's attempt out of reach.
    first_contact: Arc<futures_util::lock::Mutex<()>>,
}

impl std::fmt::Debug for AuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthClient")
            .field("backend", &self.client.base_url())
            .finish_non_exhaustive()
    }
}

impl AuthClient {
    /// A client for `base_url` that starts from the token saved in `tokens`, with the SDK's
    /// time limit per request ([`otp_client::DEFAULT_TIMEOUT`]) and English sentences.
    pub fn new(base_url: &str, tokens: Arc<dyn TokenStore>) -> Self {
        Self::with(
            base_url,
            tokens,
            Strings::default(),
            otp_client::DEFAULT_TIMEOUT,
        )
    }

    /// [`AuthClient::new`] with errors described by `strings` and `timeout` per request.
    pub fn with(
        base_url: &str,
        tokens: Arc<dyn TokenStore>,
        strings: Strings,
        timeout: Duration,
    ) -> Self {
        let (saved, warning) = match tokens.load() {
            Ok(token) => (token, None),
            Err(e) => (None, Some(e.0)),
        };
        let client = crate::platform::sdk_client(base_url)
            .with_timeout(timeout)
            .with_token(saved.clone());
        Self {
            client,
            tokens,
            saved: Arc::new(Mutex::new(saved)),
            warning: Arc::new(Mutex::new(warning)),
            strings,
            first_contact: Arc::default(),
        }
    }

    /// The sentences errors are described with.
    pub fn strings(&self) -> &Strings {
        &self.strings
    }

    /// Describes an SDK error in this client's language.
    pub fn describe(&self, error: &Error, context: Context) -> FormError {
        FormError::describe(error, context, &self.strings)
    }

    /// Until the device has a client on the server: waits for the request that will give it
    /// one. Then requests run side by side.
    async fn one_at_a_time(&self) -> Option<futures_util::lock::MutexGuard<'_, ()>> {
        if self.client.state().is_some() {
            return None;
        }
        Some(self.first_contact.lock().await)
    }

    /// Runs one SDK call, then saves the token if the call changed it.
    pub async fn call<T>(
        &self,
        context: Context,
        f: impl AsyncFnOnce(&Client) -> Result<T, Error>,
    ) -> Result<T, FormError> {
        let _turn = self.one_at_a_time().await;
        let result = f(&self.client).await;
        self.persist();
        result.map_err(|e| self.describe(&e, context))
    }

    /// The SDK client (the dev banner reads the dev outbox with it).
    pub fn sdk(&self) -> &Client {
        &self.client
    }

    /// A keychain problem to show, once.
    pub fn take_warning(&self) -> Option<String> {
        lock(&self.warning).take()
    }

    /// At start: the active session of the saved token (on the web, of the cookie), if any.
    pub async fn restore(&self) -> Result<Option<SignedInSession>, FormError> {
        let _turn = self.one_at_a_time().await;
        if self.client.token().is_none() && !self.tokens.is_cookie() {
            return Ok(None);
        }
        let loaded = self.client.load().await;
        let client = loaded.map_err(|e| self.describe(&e, Context::Session))?;
        let session = client
            .as_ref()
            .and_then(|c| c.last_active_session())
            .map(signed_in);
        if client.is_none() {
            // The server does not know this token any more: forget it.
            self.client.forget();
        }
        self.persist();
        Ok(session)
    }

    /// Starts a sign-up with what the user typed and sends the first code.
    pub async fn start_sign_up(&self, input: &str, channel: Channel) -> Result<Pending, FormError> {
        let _turn = self.one_at_a_time().await;
        let context = Context::SignUp(channel);
        let result = async {
            let sign_ups = self.client.sign_up();
            let sign_up = match channel {
                Channel::Phone => sign_ups.create_phone(input).await?,
                Channel::Email => sign_ups.create_email(input).await?,
            };
            sign_ups
                .prepare_verification_for(&sign_up.id, channel.strategy())
                .await?;
            let identifier = sign_up
                .phone_number
                .or(sign_up.email_address)
                .unwrap_or_else(|| input.trim().to_owned());
            Ok::<_, Error>(Pending {
                flow: Flow::SignUp,
                attempt_id: sign_up.id,
                channel,
                identifier_id: None,
                masked: mask_identifier(&identifier),
                identifier,
            })
        }
        .await;
        self.persist();
        result.map_err(|e| self.describe(&e, context))
    }

    /// Starts a sign-in and sends a code to the user's factor of that channel.
    pub async fn start_sign_in(&self, input: &str, channel: Channel) -> Result<Pending, FormError> {
        let _turn = self.one_at_a_time().await;
        let context = Context::SignIn(channel);
        let result = async {
            let sign_ins = self.client.sign_in();
            let sign_in = sign_ins.create(input).await?;
            let factors = sign_in.supported_first_factors.clone().unwrap_or_default();
            let factor = factors
                .iter()
                .find(|f| f.strategy == channel.strategy())
                .or_else(|| factors.first())
                .cloned()
                .ok_or(Error::State("this account has no way to receive a code"))?;
            sign_ins
                .prepare_first_factor_for(&sign_in.id, &factor)
                .await?;
            Ok::<_, Error>(Pending {
                flow: Flow::SignIn,
                attempt_id: sign_in.id,
                channel: Channel::of(factor.strategy),
                identifier_id: FirstFactor::from(&factor).identifier_id,
                identifier: sign_in
                    .identifier
                    .unwrap_or_else(|| input.trim().to_owned()),
                masked: factor.safe_identifier,
            })
        }
        .await;
        self.persist();
        result.map_err(|e| self.describe(&e, context))
    }

    /// Sends another code for the attempt in progress.
    pub async fn resend(&self, pending: &Pending) -> Result<(), FormError> {
        let _turn = self.one_at_a_time().await;
        let strategy = pending.channel.strategy();
        let result = match pending.flow {
            Flow::SignUp => self
                .client
                .sign_up()
                .prepare_verification_for(&pending.attempt_id, strategy)
                .await
                .map(drop),
            Flow::SignIn => {
                let factor = FirstFactor {
                    strategy,
                    identifier_id: pending.identifier_id.clone(),
                };
                self.client
                    .sign_in()
                    .prepare_first_factor_for(&pending.attempt_id, factor)
                    .await
                    .map(drop)
            }
        };
        self.persist();
        result.map_err(|e| self.describe(&e, Context::Resend))
    }

    /// Checks a code; when it is right, makes the new session active.
    pub async fn verify(
        &self,
        pending: &Pending,
        code: &str,
    ) -> Result<SignedInSession, FormError> {
        let _turn = self.one_at_a_time().await;
        let strategy = pending.channel.strategy();
        let result = async {
            let session_id = match pending.flow {
                Flow::SignUp => {
                    self.client
                        .sign_up()
                        .attempt_verification_for(&pending.attempt_id, strategy, code)
                        .await?
                        .created_session_id
                }
                Flow::SignIn => {
                    self.client
                        .sign_in()
                        .attempt_first_factor_for(&pending.attempt_id, strategy, code)
                        .await?
                        .created_session_id
                }
            };
            let session_id = session_id.ok_or(Error::Protocol("no session was created".into()))?;
            let session = self.client.set_active(&session_id).await?;
            Ok::<_, Error>(signed_in(&session))
        }
        .await;
        self.persist();
        result.map_err(|e| self.describe(&e, Context::Verify))
    }

    /// Whether the server gave up delivering the attempt's current code: a sign-up's
    /// verification says it, and for a sign-in the client does (Clerk's sign-in allows no field
    /// of ours).
    pub async fn delivery_failed(&self, pending: &Pending) -> Result<bool, FormError> {
        let _turn = self.one_at_a_time().await;
        use otp_client::proto::DeliveryStatus;
        let status = match pending.flow {
            Flow::SignUp => self
                .client
                .sign_up()
                .get(&pending.attempt_id)
                .await
                .map(|s| {
                    s.verifications
                        .phone_number
                        .or(s.verifications.email_address)
                        .and_then(|v| v.delivery_status)
                }),
            Flow::SignIn => self
                .client
                .sign_in()
                .get(&pending.attempt_id)
                .await
                .map(|_| self.client.state().and_then(|c| c.sign_in_delivery_status)),
        };
        self.persist();
        let status = status.map_err(|e| self.describe(&e, Context::Verify))?;
        Ok(status == Some(DeliveryStatus::Failed))
    }

    /// What the user reads when the server gave up delivering the attempt's code.
    pub fn delivery_failed_message(&self, pending: &Pending) -> String {
        let key = match pending.channel {
            Channel::Phone => Text::DeliveryFailedPhone,
            Channel::Email => Text::DeliveryFailedEmail,
        };
        self.strings.fill(key, &[("to", &pending.masked)])
    }

    /// Ends the device's sessions on the server and forgets the token here.
    pub async fn sign_out(&self) -> Result<(), FormError> {
        let _turn = self.one_at_a_time().await;
        let result = match self.client.sign_out().await {
            Ok(_) => Ok(()),
            // Already signed out on the server: nothing left to end.
            Err(e) if e.code() == Some(&ErrorCode::AuthenticationInvalid) => Ok(()),
            Err(e) => Err(self.describe(&e, Context::Session)),
        };
        if result.is_ok() {
            self.client.forget();
        }
        self.persist();
        result
    }

    /// Deletes the account on the server, then forgets the token here (the keychain entry goes).
    pub async fn delete_account(&self) -> Result<(), FormError> {
        let result = self.client.delete_account().await;
        if result.is_ok() {
            self.client.forget();
        }
        self.persist();
        result
            .map(drop)
            .map_err(|e| self.describe(&e, Context::Session))
    }

    /// Writes the client's current token to the store when it changed.
    fn persist(&self) {
        let current = self.client.token();
        let mut saved = lock(&self.saved);
        if *saved == current {
            return;
        }
        let written = match &current {
            Some(token) => self.tokens.save(token),
            None => self.tokens.delete(),
        };
        match written {
            Ok(()) => *saved = current,
            Err(e) => *lock(&self.warning) = Some(e.0),
        }
    }
}

/// The signed-in state of a session.
pub(crate) fn signed_in(session: &Session) -> SignedInSession {
    SignedInSession {
        session_id: session.id.clone(),
        user_id: session.user.id.clone(),
        identifier: session
            .user
            .identifier()
            .unwrap_or(&session.public_user_data.identifier)
            .to_owned(),
        started_at: session.created_at,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
