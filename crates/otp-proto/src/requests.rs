//! Request bodies. The server accepts each as `application/x-www-form-urlencoded` (what Clerk's
//! SDKs send) or as JSON. Every field is optional on the wire so that a missing one is reported
//! as `form_param_missing` naming it, rather than as an unreadable body.

use serde::{Deserialize, Serialize};

/// `POST /v1/client/sign_ups`: exactly one of the two identifiers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreateSignUp {
    /// A phone number, in E.164 or in the server's default region's national format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// An email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
}

/// `POST /v1/client/sign_ups/{id}/prepare_verification`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PrepareVerification {
    /// `phone_code` or `email_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
}

/// `POST /v1/client/sign_ups/{id}/attempt_verification` and
/// `POST /v1/client/sign_ins/{id}/attempt_first_factor`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AttemptVerification {
    /// `phone_code` or `email_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// The six-digit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// `POST /v1/client/sign_ins`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreateSignIn {
    /// A phone number or an email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// Accepted for compatibility; a code strategy is chosen with `prepare_first_factor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
}

/// `POST /v1/client/sign_ins/{id}/prepare_first_factor`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PrepareFirstFactor {
    /// `phone_code` or `email_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// With `phone_code`: the `phone_number_id` of the chosen factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    /// With `email_code`: the `email_address_id` of the chosen factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_address_id: Option<String>,
}
