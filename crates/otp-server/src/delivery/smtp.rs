//! Email over SMTP with lettre: STARTTLS, implicit TLS or plain (local relays), from one URL.

use super::SendError;
use crate::config::ConfigError;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// An SMTP connection pool and the From address.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Smtp {
    /// A transport for `url` (`smtp://user:pass@host:587?tls=required`, `smtps://…`,
    /// `smtp://127.0.0.1:2525`) sending from `from`.
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| ConfigError::new(format!("--smtp-url is not a valid SMTP URL: {e}")))?
            .build();
        let from = from.parse().map_err(|e| {
            ConfigError::new(format!("--email-from {from:?} is not an address: {e}"))
        })?;
        Ok(Self { transport, from })
    }

    /// Sends one email with a plain-text and an HTML part.
    pub async fn send(
        &self,
        to: &str,
        subject: &str,
        text: String,
        html: String,
    ) -> Result<Option<String>, SendError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| SendError::Permanent(format!("recipient: {e}")))?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| SendError::Permanent(format!("building the email: {e}")))?;
        match self.transport.send(email).await {
            Ok(response) => Ok(response.message().next().map(str::to_owned)),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}
