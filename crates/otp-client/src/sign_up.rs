//! Sign-up calls, as the guide makes them: `create`, then `prepare_verification` and
//! `attempt_verification` on the current sign-up.

use crate::{Client, Error};
use otp_proto::{AttemptVerification, CreateSignUp, PrepareVerification, SignUp, Strategy};
use reqwest::Method;

/// The sign-up calls of a [`Client`] (`client.sign_up()`).
#[derive(Debug, Clone, Copy)]
pub struct SignUps<'a> {
    client: &'a Client,
}

impl Client {
    /// Sign-up calls.
    pub fn sign_up(&self) -> SignUps<'_> {
        SignUps { client: self }
    }
}

impl SignUps<'_> {
    /// `POST /v1/client/sign_ups`: starts a sign-up with a phone number or an email.
    pub async fn create(&self, params: &CreateSignUp) -> Result<SignUp, Error> {
        self.client
            .call(Method::POST, "/v1/client/sign_ups", Some(params))
            .await
    }

    /// Starts a sign-up with a phone number.
    pub async fn create_phone(&self, phone_number: &str) -> Result<SignUp, Error> {
        self.create(&CreateSignUp {
            phone_number: Some(phone_number.into()),
            email_address: None,
        })
        .await
    }

    /// Starts a sign-up with an email address.
    pub async fn create_email(&self, email_address: &str) -> Result<SignUp, Error> {
        self.create(&CreateSignUp {
            phone_number: None,
            email_address: Some(email_address.into()),
        })
        .await
    }

    /// The current sign-up, as last seen.
    pub fn current(&self) -> Option<SignUp> {
        self.client.state().and_then(|c| c.sign_up)
    }

    fn current_id(&self) -> Result<String, Error> {
        self.current().map(|s| s.id).ok_or(Error::State(
            "no sign-up in progress: call sign_up().create first",
        ))
    }

    /// `GET /v1/client/sign_ups/{id}`.
    pub async fn get(&self, id: &str) -> Result<SignUp, Error> {
        self.client
            .call::<_, ()>(Method::GET, &format!("/v1/client/sign_ups/{id}"), None)
            .await
    }

    /// `POST …/prepare_verification`: sends a code for the current sign-up.
    pub async fn prepare_verification(&self, strategy: Strategy) -> Result<SignUp, Error> {
        let id = self.current_id()?;
        self.prepare_verification_for(&id, strategy).await
    }

    /// Same as [`SignUps::prepare_verification`] for a given sign-up id.
    pub async fn prepare_verification_for(
        &self,
        id: &str,
        strategy: Strategy,
    ) -> Result<SignUp, Error> {
        let body = PrepareVerification {
            strategy: Some(strategy.as_str().into()),
        };
        self.client
            .call(
                Method::POST,
                &format!("/v1/client/sign_ups/{id}/prepare_verification"),
                Some(&body),
            )
            .await
    }

    /// `POST …/attempt_verification`: checks the code; on success the sign-up is `complete`
    /// with `created_user_id` and `created_session_id`.
    pub async fn attempt_verification(
        &self,
        strategy: Strategy,
        code: &str,
    ) -> Result<SignUp, Error> {
        let id = self.current_id()?;
        self.attempt_verification_for(&id, strategy, code).await
    }

    /// Same as [`SignUps::attempt_verification`] for a given sign-up id.
    pub async fn attempt_verification_for(
        &self,
        id: &str,
        strategy: Strategy,
        code: &str,
    ) -> Result<SignUp, Error> {
        let body = AttemptVerification {
            strategy: Some(strategy.as_str().into()),
            code: Some(code.into()),
        };
        self.client
            .call(
                Method::POST,
                &format!("/v1/client/sign_ups/{id}/attempt_verification"),
                Some(&body),
            )
            .await
    }
}
