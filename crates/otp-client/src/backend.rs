//! The Backend API, for the app developer's own servers (never an app: a secret key must not
//! ship to devices): look users up, ban, unban and delete them, list and revoke sessions, with a
//! secret key from `otp-server keys create`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), otp_client::Error> {
//! use otp_client::backend::{Backend, UserQuery};
//! let backend = Backend::new("http://127.0.0.1:8787/backend", "sk_live_…");
//! let found = backend.users(&UserQuery::search("+1202555")).await?;
//! for user in &found {
//!     backend.ban_user(&user.user.id).await?;
//! }
//! # Ok(()) }
//! ```

use crate::client::{api_error, decode};
use crate::error::Error;
use otp_proto::backend::{CreateUser, DeletedObject, Page, Session, TotalCount, User};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::Duration;

/// A connection to a server's Backend API with a secret key.
#[derive(Clone)]
pub struct Backend {
    http: reqwest::Client,
    base_url: String,
    secret_key: String,
    timeout: Duration,
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backend")
            .field("base_url", &self.base_url)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// Which users [`Backend::users`] and [`Backend::count_users`] are about.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Part of a user id, phone number or email address.
    pub query: Option<String>,
    /// Exactly these user ids.
    pub user_id: Vec<String>,
    /// Users with one of these email addresses.
    pub email_address: Vec<String>,
    /// Users with one of these phone numbers.
    pub phone_number: Vec<String>,
    /// Page size, 1–500 (10 when left out).
    pub limit: Option<u32>,
    /// Users to skip.
    pub offset: Option<u64>,
    /// Oldest first instead of newest first.
    pub oldest_first: bool,
}

impl UserQuery {
    /// The users whose id, phone number or email address contains `text`.
    pub fn search(text: &str) -> Self {
        Self {
            query: Some(text.to_owned()),
            ..Self::default()
        }
    }

    fn pairs(&self, paging: bool) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        pairs.extend(self.query.iter().map(|q| ("query", q.clone())));
        pairs.extend(self.user_id.iter().map(|v| ("user_id", v.clone())));
        pairs.extend(
            self.email_address
                .iter()
                .map(|v| ("email_address", v.clone())),
        );
        pairs.extend(
            self.phone_number
                .iter()
                .map(|v| ("phone_number", v.clone())),
        );
        if paging {
            pairs.extend(self.limit.map(|l| ("limit", l.to_string())));
            pairs.extend(self.offset.map(|o| ("offset", o.to_string())));
            if self.oldest_first {
                pairs.push(("order_by", "+created_at".into()));
            }
        }
        pairs
    }
}

impl Backend {
    /// A Backend API at `base_url` (`https://auth.example.com/backend`, or the
    /// `--backend-bind` address), every request within [`crate::DEFAULT_TIMEOUT`].
    pub fn new(base_url: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            http: reqwest::Client::new(),
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            secret_key: secret_key.into(),
            timeout: crate::DEFAULT_TIMEOUT,
        }
    }

    /// The same, with another time limit per request.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// `GET /v1/users`: a page of users, newest first.
    pub async fn users(&self, query: &UserQuery) -> Result<Vec<User>, Error> {
        self.call(
            Method::GET,
            &["v1", "users"],
            &query.pairs(true),
            None::<&()>,
        )
        .await
    }

    /// `GET /v1/users/count`: how many users `query` matches (its paging ignored).
    pub async fn count_users(&self, query: &UserQuery) -> Result<u64, Error> {
        let count: TotalCount = self
            .call(
                Method::GET,
                &["v1", "users", "count"],
                &query.pairs(false),
                None::<&()>,
            )
            .await?;
        Ok(count.total_count)
    }

    /// `GET /v1/users/{id}`.
    pub async fn user(&self, id: &str) -> Result<User, Error> {
        self.call(Method::GET, &["v1", "users", id], &[], None::<&()>)
            .await
    }

    /// `POST /v1/users`: a user with these phone numbers and email addresses, verified (an
    /// import: no code is sent).
    pub async fn create_user(&self, user: &CreateUser) -> Result<User, Error> {
        self.call(Method::POST, &["v1", "users"], &[], Some(user))
            .await
    }

    /// `POST /v1/users/{id}/ban`: they can no longer sign in; their sessions are revoked.
    pub async fn ban_user(&self, id: &str) -> Result<User, Error> {
        self.call(Method::POST, &["v1", "users", id, "ban"], &[], None::<&()>)
            .await
    }

    /// `POST /v1/users/{id}/unban`.
    pub async fn unban_user(&self, id: &str) -> Result<User, Error> {
        self.call(
            Method::POST,
            &["v1", "users", id, "unban"],
            &[],
            None::<&()>,
        )
        .await
    }

    /// `DELETE /v1/users/{id}`: the user and their personal data.
    pub async fn delete_user(&self, id: &str) -> Result<DeletedObject, Error> {
        self.call(Method::DELETE, &["v1", "users", id], &[], None::<&()>)
            .await
    }

    /// `GET /v1/sessions?user_id=…`: the user's sessions in every state, newest first.
    pub async fn sessions(&self, user_id: &str) -> Result<Vec<Session>, Error> {
        let pairs = [
            ("user_id", user_id.to_owned()),
            ("paginated", "true".into()),
        ];
        let page: Page<Session> = self
            .call(Method::GET, &["v1", "sessions"], &pairs, None::<&()>)
            .await?;
        Ok(page.data)
    }

    /// `GET /v1/sessions/{id}`.
    pub async fn session(&self, id: &str) -> Result<Session, Error> {
        self.call(Method::GET, &["v1", "sessions", id], &[], None::<&()>)
            .await
    }

    /// `POST /v1/sessions/{id}/revoke`: its device is signed out at its next request.
    pub async fn revoke_session(&self, id: &str) -> Result<Session, Error> {
        self.call(
            Method::POST,
            &["v1", "sessions", id, "revoke"],
            &[],
            None::<&()>,
        )
        .await
    }

    /// The URL of `segments` under the base URL, each segment percent-encoded (an id can never
    /// name another path).
    fn url(&self, segments: &[&str]) -> Result<reqwest::Url, Error> {
        let bad = |why: String| Error::Protocol(format!("the Backend API's URL {why}"));
        let mut url = reqwest::Url::parse(&self.base_url).map_err(|e| bad(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|()| bad("cannot have a path".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    async fn call<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<T, Error> {
        let mut req = self
            .http
            .request(method, self.url(segments)?)
            .timeout(self.timeout)
            .bearer_auth(&self.secret_key)
            .query(query);
        if let Some(body) = body {
            req = req.json(body);
        }
        let response = req.send().await.map_err(Error::Transport)?;
        if !response.status().is_success() {
            return Err(api_error(response).await);
        }
        decode(response).await
    }
}
