//! The signed-in user's account (`/v1/me`): who they are, their devices, signing one out.

use crate::client::decode;
use crate::{Client, Error};
use otp_proto::{DeletedObject, Session, User};
use reqwest::Method;

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
}
