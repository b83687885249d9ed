//! The signed-in user's account (`/v1/me`): who they are, their phone numbers and email
//! addresses (add, verify, make primary, remove), their devices (sign one out), reverification,
//! and deleting the account.

use crate::client::decode;
use crate::{Client, Error};
use otp_proto::{
    AddIdentifier, AttemptVerification, DeletedObject, EmailAddress, PhoneNumber,
    PrepareFirstFactor, PrepareVerification, Session, SessionVerification, Strategy, UpdateUser,
    User, VerifySession,
};
use reqwest::Method;

/// One of the user's identifiers, as the server shows it after a change.
#[derive(Debug, Clone)]
pub enum UserIdentifier {
    /// An email address.
    Email(EmailAddress),
    /// A phone number.
    Phone(PhoneNumber),
}

impl UserIdentifier {
    /// Its `idn_…` id.
    pub fn id(&self) -> &str {
        match self {
            Self::Email(e) => &e.id,
            Self::Phone(p) => &p.id,
        }
    }

    /// Whether a code sent to it was typed back (only a verified identifier signs in).
    pub fn is_verified(&self) -> bool {
        let verification = match self {
            Self::Email(e) => &e.verification,
            Self::Phone(p) => &p.verification,
        };
        verification
            .as_ref()
            .is_some_and(|v| v.status == otp_proto::VerificationStatus::Verified)
    }
}

/// The path of an identifier's routes: by its id's kind.
fn identifier_path(strategy: Strategy, id: &str) -> String {
    match strategy {
        Strategy::EmailCode => format!("/v1/me/email_addresses/{id}"),
        Strategy::PhoneCode => format!("/v1/me/phone_numbers/{id}"),
    }
}

impl Client {
    /// `GET /v1/me`: the signed-in user (`authentication_invalid` when nobody is).
    pub async fn me(&self) -> Result<User, Error> {
        self.call::<_, ()>(Method::GET, "/v1/me", None).await
    }

    /// `GET /v1/me/sessions/active`: the user's active sessions on every device, oldest first.
    /// (A bare array, as Clerk answers it.)
    pub async fn active_sessions(&self) -> Result<Vec<Session>, Error> {
        let response = self
            .send::<()>(Method::GET, "/v1/me/sessions/active", None)
            .await?;
        decode(response).await
    }

    /// `POST /v1/me/sessions/{id}/revoke`: signs that device out at once (its JWTs stop being
    /// issued; those already issued expire within 60 s). Only the user's own sessions:
    /// `resource_not_found` otherwise.
    pub async fn revoke_session(&self, session_id: &str) -> Result<Session, Error> {
        self.call::<_, ()>(
            Method::POST,
            &format!("/v1/me/sessions/{session_id}/revoke"),
            None,
        )
        .await
    }

    /// `DELETE /v1/me`: deletes the account and its personal data and ends its sessions on every
    /// device. Needs a recent sign-in (`session_reverification_required` otherwise).
    pub async fn delete_account(&self) -> Result<DeletedObject, Error> {
        self.call::<_, ()>(Method::DELETE, "/v1/me", None).await
    }

    /// `PATCH /v1/me`: makes a verified email address and/or phone number of the user primary.
    /// Needs a recent verification (`session_reverification_required`: see [`Client::reverify`]).
    pub async fn set_primary(
        &self,
        email_address_id: Option<&str>,
        phone_number_id: Option<&str>,
    ) -> Result<User, Error> {
        let body = UpdateUser {
            primary_email_address_id: email_address_id.map(str::to_owned),
            primary_phone_number_id: phone_number_id.map(str::to_owned),
        };
        self.call(Method::PATCH, "/v1/me", Some(&body)).await
    }

    /// `POST /v1/me/email_addresses`: adds an email address, unverified (it signs nobody in
    /// until [`Client::attempt_identifier_verification`] succeeds).
    pub async fn add_email(&self, email_address: &str) -> Result<EmailAddress, Error> {
        let body = AddIdentifier {
            email_address: Some(email_address.to_owned()),
            phone_number: None,
        };
        self.call(Method::POST, "/v1/me/email_addresses", Some(&body))
            .await
    }

    /// `POST /v1/me/phone_numbers`: adds a phone number, unverified.
    pub async fn add_phone(&self, phone_number: &str) -> Result<PhoneNumber, Error> {
        let body = AddIdentifier {
            email_address: None,
            phone_number: Some(phone_number.to_owned()),
        };
        self.call(Method::POST, "/v1/me/phone_numbers", Some(&body))
            .await
    }

    /// `POST …/{id}/prepare_verification`: sends a code to an added identifier (`strategy`
    /// `email_code` for an email address, `phone_code` for a phone number), with the limits of
    /// sign-in codes.
    pub async fn prepare_identifier_verification(
        &self,
        strategy: Strategy,
        id: &str,
    ) -> Result<UserIdentifier, Error> {
        let body = PrepareVerification {
            strategy: Some(strategy.as_str().to_owned()),
        };
        let path = format!("{}/prepare_verification", identifier_path(strategy, id));
        self.identifier_call(strategy, &path, Method::POST, Some(&body))
            .await
    }

    /// `POST …/{id}/attempt_verification`: the code sent to an added identifier. Right, the
    /// identifier is the user's to sign in with; if another user verified it first, the answer
    /// is `form_identifier_exists`.
    pub async fn attempt_identifier_verification(
        &self,
        strategy: Strategy,
        id: &str,
        code: &str,
    ) -> Result<UserIdentifier, Error> {
        let body = AttemptVerification {
            strategy: None,
            code: Some(code.to_owned()),
        };
        let path = format!("{}/attempt_verification", identifier_path(strategy, id));
        self.identifier_call(strategy, &path, Method::POST, Some(&body))
            .await
    }

    /// `DELETE …/{id}`: removes one of the user's identifiers. A verified one needs a recent
    /// verification; the last verified one cannot be removed (`identification_deletion_failed`).
    pub async fn remove_identifier(
        &self,
        strategy: Strategy,
        id: &str,
    ) -> Result<DeletedObject, Error> {
        self.call::<_, ()>(Method::DELETE, &identifier_path(strategy, id), None)
            .await
    }

    async fn identifier_call<B: serde::Serialize>(
        &self,
        strategy: Strategy,
        path: &str,
        method: Method,
        body: Option<&B>,
    ) -> Result<UserIdentifier, Error> {
        Ok(match strategy {
            Strategy::EmailCode => UserIdentifier::Email(self.call(method, path, body).await?),
            Strategy::PhoneCode => UserIdentifier::Phone(self.call(method, path, body).await?),
        })
    }

    /// `POST /v1/client/sessions/{id}/verify`: where the current session's reverification
    /// stands (`complete`, or `needs_first_factor` with the factors a code can go to).
    pub async fn reverify(&self) -> Result<SessionVerification, Error> {
        let body = VerifySession {
            level: Some("first_factor".into()),
        };
        let path = format!("/v1/client/sessions/{}/verify", self.active_session_id()?);
        self.call(Method::POST, &path, Some(&body)).await
    }

    /// `POST …/verify/prepare_first_factor`: sends a reverification code to one of the user's
    /// verified identifiers (`id`: its `phone_number_id` or `email_address_id`).
    pub async fn prepare_reverification(
        &self,
        strategy: Strategy,
        id: &str,
    ) -> Result<SessionVerification, Error> {
        let body = PrepareFirstFactor {
            strategy: Some(strategy.as_str().to_owned()),
            phone_number_id: (strategy == Strategy::PhoneCode).then(|| id.to_owned()),
            email_address_id: (strategy == Strategy::EmailCode).then(|| id.to_owned()),
        };
        let path = format!(
            "/v1/client/sessions/{}/verify/prepare_first_factor",
            self.active_session_id()?
        );
        self.call(Method::POST, &path, Some(&body)).await
    }

    /// `POST …/verify/attempt_first_factor`: the reverification code; right, sensitive changes
    /// are allowed for `--reverification-secs` (10 minutes by default).
    pub async fn attempt_reverification(
        &self,
        strategy: Strategy,
        code: &str,
    ) -> Result<SessionVerification, Error> {
        let body = AttemptVerification {
            strategy: Some(strategy.as_str().to_owned()),
            code: Some(code.to_owned()),
        };
        let path = format!(
            "/v1/client/sessions/{}/verify/attempt_first_factor",
            self.active_session_id()?
        );
        self.call(Method::POST, &path, Some(&body)).await
    }

    /// The id of this device's active session, for the reverification routes.
    fn active_session_id(&self) -> Result<String, Error> {
        Ok(self.session().ok_or(Error::State("not signed in"))?.id)
    }
}
