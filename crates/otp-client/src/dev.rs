//! Dev mode only: read the message a dev-mode server "sent", as tests and the load tool do.

use crate::client::decode;
use crate::{Client, Error};
use otp_proto::dev::OutboxMessage;
use reqwest::Method;

impl Client {
    /// `GET /v1/dev/outbox?to=…`: the latest message to a phone number or email. Fails with
    /// `resource_not_found` when there is none, or when the server is not in dev mode.
    pub async fn dev_outbox(&self, to: &str) -> Result<OutboxMessage, Error> {
        let request = self
            .request(Method::GET, "/v1/dev/outbox")
            .query(&[("to", to)]);
        decode(self.execute(request).await?).await
    }
}
