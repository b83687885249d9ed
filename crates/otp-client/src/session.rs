//! Session calls: choose the active session, get a JWT for the app's own servers, sign out.

use crate::client::decode;
use crate::{Client, Error};
use otp_proto::{Client as ClientObject, Session, Token};
use reqwest::Method;

impl Client {
    /// `POST /v1/client/sessions/{id}/touch` (Clerk's `setActive`): makes it the active session.
    pub async fn set_active(&self, session_id: &str) -> Result<Session, Error> {
        self.call::<_, ()>(
            Method::POST,
            &format!("/v1/client/sessions/{session_id}/touch"),
            None,
        )
        .await
    }

    /// The active session, as last seen.
    pub fn session(&self) -> Option<Session> {
        self.state().and_then(|c| c.last_active_session().cloned())
    }

    /// `POST /v1/client/sessions/{id}/tokens` for the active session: a 60-second JWT to send to
    /// the app's own API, which verifies it with the server's JWKS.
    pub async fn session_token(&self) -> Result<String, Error> {
        let session = self.session().ok_or(Error::State("not signed in"))?;
        let response = self
            .send::<()>(
                Method::POST,
                &format!("/v1/client/sessions/{}/tokens", session.id),
                None,
            )
            .await?;
        let token: Token = decode(response).await?;
        Ok(token.jwt)
    }

    /// `POST /v1/client/sessions/{id}/end`: signs out one session.
    pub async fn end_session(&self, session_id: &str) -> Result<Session, Error> {
        self.call::<_, ()>(
            Method::POST,
            &format!("/v1/client/sessions/{session_id}/end"),
            None,
        )
        .await
    }

    /// `DELETE /v1/client/sessions`: signs out every session of this device.
    pub async fn sign_out(&self) -> Result<ClientObject, Error> {
        self.call::<_, ()>(Method::DELETE, "/v1/client/sessions", None)
            .await
    }
}
