//! SMS through Twilio's Programmable Messaging API (`POST /2010-04-01/Accounts/{sid}/Messages.json`),
//! or any service that speaks it: the base URL is configurable.

use super::SendError;
use crate::config::ConfigError;
use std::time::Duration;

/// A Twilio account.
pub struct Twilio {
    http: reqwest::Client,
    url: String,
    /// The host (and port) of `url`, the only part of it errors and logs name.
    host: String,
    account_sid: String,
    auth_token: String,
    from: Option<String>,
    messaging_service_sid: Option<String>,
}

impl std::fmt::Debug for Twilio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Twilio")
            .field("url", &crate::config::redact_url(&self.url))
            .field("account_sid", &self.account_sid)
            .finish_non_exhaustive()
    }
}

impl Twilio {
    /// An account at `base_url`, sending from a number or a Messaging Service.
    pub fn new(
        base_url: &str,
        account_sid: &str,
        auth_token: &str,
        from: Option<String>,
        messaging_service_sid: Option<String>,
    ) -> anyhow::Result<Self> {
        if from.is_none() == messaging_service_sid.is_none() {
            return Err(ConfigError::new(
                "Twilio needs exactly one of --twilio-from and --twilio-messaging-service-sid",
            )
            .into());
        }
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()?,
            host: super::endpoint_host(base_url, "--twilio-base-url")?,
            url: format!(
                "{}/2010-04-01/Accounts/{account_sid}/Messages.json",
                base_url.trim_end_matches('/')
            ),
            account_sid: account_sid.to_owned(),
            auth_token: auth_token.to_owned(),
            from,
            messaging_service_sid,
        })
    }

    /// Sends one text; `Ok` carries Twilio's message SID.
    pub async fn send(&self, to: &str, body: &str) -> Result<String, SendError> {
        let mut form = vec![("To", to), ("Body", body)];
        match (&self.from, &self.messaging_service_sid) {
            (Some(from), _) => form.push(("From", from)),
            (None, Some(sid)) => form.push(("MessagingServiceSid", sid)),
            (None, None) => {}
        }
        let response = self
            .http
            .post(&self.url)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&form)
            .send()
            .await
            .map_err(|e| super::unreachable("Twilio", &self.host, e))?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        if status.is_success() {
            return Ok(body["sid"].as_str().unwrap_or_default().to_owned());
        }
        let detail = format!(
            "Twilio at {} answered {status}: {} {}",
            self.host,
            body["code"],
            body["message"].as_str().unwrap_or_default()
        );
        if status.as_u16() == 429 || status.is_server_error() {
            Err(SendError::Transient(detail))
        } else {
            Err(SendError::Permanent(detail))
        }
    }
}
