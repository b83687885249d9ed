//! Signing in, without UI: the state machine, the protocol steps, the store that joins them, the
//! error sentences and the token storage.

mod client;
mod errors;
mod machine;
mod store;
mod token_store;

pub use client::AuthClient;
pub use errors::{Context, describe};
pub use machine::*;
pub use store::{AuthStore, use_auth, use_auth_state};
#[cfg(not(target_arch = "wasm32"))]
pub use token_store::KeychainTokenStore;
pub use token_store::{
    CookieTokenStore, MemoryTokenStore, SERVICE, TokenStore, TokenStoreError, platform_token_store,
};
