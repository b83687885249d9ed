//! The application state handed to every handler with axum's `State`.

use crate::clock::Clock;
use crate::config::Config;
use crate::delivery::Delivery;
use crate::otp::CodeHasher;
use crate::random::Random;
use crate::store::Store;
use crate::tokens::JwtIssuer;
use std::sync::Arc;

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The configuration the server started with (policy included).
    pub config: Arc<Config>,
    /// The database.
    pub store: Store,
    /// The time source.
    pub clock: Arc<dyn Clock>,
    /// The source of codes, ids, tokens and nonces.
    pub random: Random,
    /// Hashes and checks codes with the server's key.
    pub hasher: CodeHasher,
    /// Signs session tokens.
    pub jwt: Arc<JwtIssuer>,
    /// Sends codes.
    pub delivery: Delivery,
    /// Region for national phone numbers.
    pub default_region: Option<phonenumber::country::Id>,
    /// Seals codes kept in the outbox.
    pub sealer: crate::sealed::Sealer,
    /// Pokes the delivery worker after a message is queued.
    pub wake: Arc<tokio::sync::Notify>,
}

impl AppState {
    /// Now, in ms.
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
