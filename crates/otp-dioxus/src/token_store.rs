//! Where the client token (the device's long-lived credential) is kept between runs: the OS
//! keychain through `keyring-core` and the platform's store (Secret Service on Linux, Keychain on
//! macOS and iOS, the Android Keystore, the Windows credential store), or memory in tests.
//! On the web the token is an HttpOnly cookie the server sets ([`CookieTokenStore`]).
//! The token never goes to a plain file, localStorage or a log.

use std::sync::{Arc, Mutex};

/// The keychain service name of the entries when the app names none: the crate's name.
pub const DEFAULT_SERVICE: &str = "otp-dioxus";

/// Why the token could not be read or written.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct TokenStoreError(pub String);

/// Keeps one client token. Implement it to keep the token somewhere of your own (an
/// encrypted file, a platform API the crate does not cover) and give it to
/// [`AuthProvider`](crate::AuthProvider)'s `token_store`.
///
/// ```
/// use otp_dioxus::{TokenStore, TokenStoreError};
/// use std::sync::Mutex;
///
/// #[derive(Default)]
/// struct InMemory(Mutex<Option<String>>);
///
/// impl TokenStore for InMemory {
///     fn load(&self) -> Result<Option<String>, TokenStoreError> {
///         Ok(self.0.lock().map_err(|e| TokenStoreError(e.to_string()))?.clone())
///     }
///     fn save(&self, token: &str) -> Result<(), TokenStoreError> {
///         *self.0.lock().map_err(|e| TokenStoreError(e.to_string()))? = Some(token.into());
///         Ok(())
///     }
///     fn delete(&self) -> Result<(), TokenStoreError> {
///         *self.0.lock().map_err(|e| TokenStoreError(e.to_string()))? = None;
///         Ok(())
///     }
/// }
/// ```
pub trait TokenStore: Send + Sync {
    /// The saved token, if any.
    fn load(&self) -> Result<Option<String>, TokenStoreError>;
    /// Saves (replaces) the token.
    fn save(&self, token: &str) -> Result<(), TokenStoreError>;
    /// Forgets the token (sign-out).
    fn delete(&self) -> Result<(), TokenStoreError>;
    /// Whether the token is the browser's HttpOnly cookie instead, which the app never sees: then
    /// nothing is kept here, and at start the app asks the server whose client it is.
    fn is_cookie(&self) -> bool {
        false
    }
}

/// The web's token store: the server keeps the token in an HttpOnly cookie that page scripts
/// (this app included) cannot read, so nothing is in localStorage for an injected script to take.
#[derive(Debug, Default)]
pub struct CookieTokenStore;

impl TokenStore for CookieTokenStore {
    fn load(&self) -> Result<Option<String>, TokenStoreError> {
        Ok(None)
    }
    fn save(&self, _: &str) -> Result<(), TokenStoreError> {
        Ok(())
    }
    fn delete(&self) -> Result<(), TokenStoreError> {
        Ok(())
    }
    fn is_cookie(&self) -> bool {
        true
    }
}

/// A token kept in memory: for tests, and where no keychain is available.
#[derive(Debug, Default)]
pub struct MemoryTokenStore(Mutex<Option<String>>);

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> Result<Option<String>, TokenStoreError> {
        Ok(self.slot().clone())
    }
    fn save(&self, token: &str) -> Result<(), TokenStoreError> {
        *self.slot() = Some(token.to_owned());
        Ok(())
    }
    fn delete(&self) -> Result<(), TokenStoreError> {
        *self.slot() = None;
        Ok(())
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use keychain::KeychainTokenStore;

#[cfg(not(target_arch = "wasm32"))]
mod keychain {
    use super::{TokenStore, TokenStoreError};
    use keyring_core::{CredentialStore, Entry, Error};
    use std::sync::Arc;

    /// The token in the OS keychain, under the app's service name and, as account, the backend
    /// URL (so tokens of different backends never mix).
    pub struct KeychainTokenStore {
        entry: Entry,
    }

    impl std::fmt::Debug for KeychainTokenStore {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("KeychainTokenStore")
        }
    }

    impl KeychainTokenStore {
        /// The entry of `service` for `backend_url` in this platform's keychain.
        pub fn open(service: &str, backend_url: &str) -> Result<Self, TokenStoreError> {
            let store = platform_store()
                .map_err(|e| TokenStoreError(format!("the keychain is not available: {e}")))?;
            let entry = Entry::new_in_store(&store, service, backend_url)
                .map_err(|e| TokenStoreError(format!("the keychain refused the entry: {e}")))?;
            Ok(Self { entry })
        }
    }

    impl TokenStore for KeychainTokenStore {
        fn load(&self) -> Result<Option<String>, TokenStoreError> {
            match self.entry.get_password() {
                Ok(token) => Ok(Some(token)),
                Err(Error::NoEntry) => Ok(None),
                Err(e) => Err(TokenStoreError(format!("cannot read the keychain: {e}"))),
            }
        }
        fn save(&self, token: &str) -> Result<(), TokenStoreError> {
            self.entry
                .set_password(token)
                .map_err(|e| TokenStoreError(format!("cannot write the keychain: {e}")))
        }
        fn delete(&self) -> Result<(), TokenStoreError> {
            match self.entry.delete_credential() {
                Ok(()) | Err(Error::NoEntry) => Ok(()),
                Err(e) => Err(TokenStoreError(format!(
                    "cannot delete from the keychain: {e}"
                ))),
            }
        }
    }

    #[cfg(target_os = "linux")]
    fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
        Ok(zbus_secret_service_keyring_store::Store::new()?)
    }

    #[cfg(any(target_os = "macos", target_os = "ios"))]
    fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
        #[cfg(target_os = "macos")]
        return Ok(apple_native_keyring_store::keychain::Store::new()?);
        #[cfg(target_os = "ios")]
        return Ok(apple_native_keyring_store::protected::Store::new()?);
    }

    #[cfg(target_os = "android")]
    fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
        Ok(android_native_keyring_store::Store::new()?)
    }

    #[cfg(windows)]
    fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
        Ok(windows_native_keyring_store::Store::new()?)
    }

    #[cfg(not(any(
        target_os = "linux",
        target_os = "macos",
        target_os = "ios",
        target_os = "android",
        windows
    )))]
    fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
        Err(Error::NotSupportedByStore(
            "no keychain on this platform".into(),
        ))
    }
}

/// The platform's token store for `backend_url` under `service`: the keychain, or memory (with
/// the reason) where none can be opened; on the web, the browser's cookie.
pub fn platform_token_store(
    service: &str,
    backend_url: &str,
) -> (Arc<dyn TokenStore>, Option<String>) {
    #[cfg(not(target_arch = "wasm32"))]
    let opened = KeychainTokenStore::open(service, backend_url)
        .map(|store| Arc::new(store) as Arc<dyn TokenStore>);
    #[cfg(target_arch = "wasm32")]
    let opened: Result<Arc<dyn TokenStore>, TokenStoreError> = {
        let _ = (service, backend_url);
        Ok(Arc::new(CookieTokenStore))
    };
    match opened {
        Ok(store) => (store, None),
        Err(e) => (MemoryTokenStore::new(), Some(e.0)),
    }
}
