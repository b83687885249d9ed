//! Wire types of the Backend API (`/backend/v1/…` with a secret key): what the app developer's
//! own servers read, in the shapes of Clerk's Backend API, so `@clerk/backend` reads them too.

use crate::objects::{SessionActivity, SessionStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A user as the Backend API shows it: the Frontend API's user and what only servers see.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// Everything the user object has (`object: "user"`, identifiers, `banned`, …).
    #[serde(flatten)]
    pub user: crate::User,
    /// Always `{}` (no metadata is kept).
    pub private_metadata: Value,
}

/// A session as the Backend API shows it: who, on which device, and where it stands (no user
/// object and no token, unlike the Frontend API's).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// Always `"session"`.
    pub object: String,
    /// `sess_…`.
    pub id: String,
    /// The device (`client_…`).
    pub client_id: String,
    /// Who is signed in (`user_…`).
    pub user_id: String,
    /// Where it stands.
    pub status: SessionStatus,
    /// Last `touch` or token (ms).
    pub last_active_at: i64,
    /// When it expires if it stays idle (ms).
    pub expire_at: i64,
    /// When it ends whatever happens (ms).
    pub abandon_at: i64,
    /// Sign-in time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
    /// Always null.
    pub last_active_organization_id: Option<String>,
    /// Always null (no impersonation).
    pub actor: Option<Value>,
    /// Where it was last used from.
    pub latest_activity: Option<SessionActivity>,
}

/// A page of a list, as Clerk answers with `paginated=true`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page<T> {
    /// This page's items.
    pub data: Vec<T>,
    /// How many there are in all.
    pub total_count: u64,
}

/// `GET /v1/users/count`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TotalCount {
    /// Always `"total_count"`.
    pub object: String,
    /// How many users match.
    pub total_count: u64,
}

/// What a `DELETE` answers: the object that is gone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeletedObject {
    /// What it was (`"user"`).
    pub object: String,
    /// Its id.
    pub id: String,
    /// Always true.
    pub deleted: bool,
}

/// `POST /v1/users`: a user with verified identifiers, for imports.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreateUser {
    /// Phone numbers (E.164, or national in the server's default region).
    #[serde(default)]
    pub phone_number: Vec<String>,
    /// Email addresses.
    #[serde(default)]
    pub email_address: Vec<String>,
}
