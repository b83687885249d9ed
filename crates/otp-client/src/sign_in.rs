//! Sign-in calls, as the guide makes them: `create(identifier)`, pick a factor from
//! `supported_first_factors`, `prepare_first_factor`, `attempt_first_factor`.

use crate::{Client, Error};
use otp_proto::{
    AttemptVerification, CreateSignIn, PrepareFirstFactor, SignIn, SignInFactor, Strategy,
};
use reqwest::Method;

/// The sign-in calls of a [`Client`] (`client.sign_in()`).
#[derive(Debug, Clone, Copy)]
pub struct SignIns<'a> {
    client: &'a Client,
}

/// The factor to send a code to: a strategy and the id of the phone number or email.
#[derive(Debug, Clone)]
pub struct FirstFactor {
    /// `phone_code` or `email_code`.
    pub strategy: Strategy,
    /// `phone_number_id` or `email_address_id` from `supported_first_factors`.
    pub identifier_id: Option<String>,
}

impl From<&SignInFactor> for FirstFactor {
    fn from(f: &SignInFactor) -> Self {
        Self {
            strategy: f.strategy,
            identifier_id: f
                .phone_number_id
                .clone()
                .or_else(|| f.email_address_id.clone()),
        }
    }
}

impl Client {
    /// Sign-in calls.
    pub fn sign_in(&self) -> SignIns<'_> {
        SignIns { client: self }
    }
}

impl SignIns<'_> {
    /// `POST /v1/client/sign_ins`: starts a sign-in with a phone number or email.
    pub async fn create(&self, identifier: &str) -> Result<SignIn, Error> {
        let body = CreateSignIn {
            identifier: Some(identifier.into()),
            strategy: None,
        };
        self.client
            .call(Method::POST, "/v1/client/sign_ins", Some(&body))
            .await
    }

    /// The current sign-in, as last seen.
    pub fn current(&self) -> Option<SignIn> {
        self.client.state().and_then(|c| c.sign_in)
    }

    /// The factors of the current sign-in.
    pub fn supported_first_factors(&self) -> Vec<SignInFactor> {
        self.current()
            .and_then(|s| s.supported_first_factors)
            .unwrap_or_default()
    }

    fn current_id(&self) -> Result<String, Error> {
        self.current().map(|s| s.id).ok_or(Error::State(
            "no sign-in in progress: call sign_in().create first",
        ))
    }

    /// `GET /v1/client/sign_ins/{id}`.
    pub async fn get(&self, id: &str) -> Result<SignIn, Error> {
        self.client
            .call::<_, ()>(Method::GET, &format!("/v1/client/sign_ins/{id}"), None)
            .await
    }

    /// `POST …/prepare_first_factor`: sends a code to the chosen factor of the current sign-in.
    pub async fn prepare_first_factor(
        &self,
        factor: impl Into<FirstFactor>,
    ) -> Result<SignIn, Error> {
        let id = self.current_id()?;
        self.prepare_first_factor_for(&id, factor).await
    }

    /// Same as [`SignIns::prepare_first_factor`] for a given sign-in id.
    pub async fn prepare_first_factor_for(
        &self,
        id: &str,
        factor: impl Into<FirstFactor>,
    ) -> Result<SignIn, Error> {
        let factor = factor.into();
        let (phone_number_id, email_address_id) = match factor.strategy {
            Strategy::PhoneCode => (factor.identifier_id, None),
            Strategy::EmailCode => (None, factor.identifier_id),
        };
        let body = PrepareFirstFactor {
            strategy: Some(factor.strategy.as_str().into()),
            phone_number_id,
            email_address_id,
        };
        self.client
            .call(
                Method::POST,
                &format!("/v1/client/sign_ins/{id}/prepare_first_factor"),
                Some(&body),
            )
            .await
    }

    /// `POST …/attempt_first_factor`: checks the code; on success the sign-in is `complete` with
    /// `created_session_id`.
    pub async fn attempt_first_factor(
        &self,
        strategy: Strategy,
        code: &str,
    ) -> Result<SignIn, Error> {
        let id = self.current_id()?;
        self.attempt_first_factor_for(&id, strategy, code).await
    }

    /// Same as [`SignIns::attempt_first_factor`] for a given sign-in id.
    pub async fn attempt_first_factor_for(
        &self,
        id: &str,
        strategy: Strategy,
        code: &str,
    ) -> Result<SignIn, Error> {
        let body = AttemptVerification {
            strategy: Some(strategy.as_str().into()),
            code: Some(code.into()),
        };
        self.client
            .call(
                Method::POST,
                &format!("/v1/client/sign_ins/{id}/attempt_first_factor"),
                Some(&body),
            )
            .await
    }
}
