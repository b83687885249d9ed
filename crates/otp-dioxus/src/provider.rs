//! [`AuthProvider`]: the component at the top of an app that makes the auth store, restores the
//! session at start and owns every request; and [`SignedIn`], [`SignedOut`], [`AuthLoading`],
//! which show their children only in their state.

use crate::client::AuthClient;
use crate::clock::{Clock, SystemClock};
use crate::machine::{AuthState, Phase};
use crate::store::{AuthStore, use_auth_store};
use crate::strings::{Locale, Strings};
use crate::token_store::{DEFAULT_SERVICE, TokenStore, platform_token_store};
use dioxus::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// The crate's stylesheet, added by [`AuthProvider`]. Its colours, radius and font are CSS
/// custom properties (`--otp-accent`, `--otp-radius`, `--otp-font`, …) that an app overrides in
/// its own stylesheet.
pub const STYLE: Asset = asset!("/assets/otp-dioxus.css");

/// The properties of [`AuthProvider`].
#[derive(Props, Clone)]
pub struct AuthProviderProps {
    /// The OTP server's base URL, such as `https://auth.example.com` (or, in development,
    /// `http://127.0.0.1:8787` for `otp-server --dev`).
    pub api_url: String,
    /// The keychain entry's service name (default: `otp-dioxus`). The account is the server's
    /// URL, so tokens of different servers never mix.
    #[props(into)]
    pub keychain_service: Option<String>,
    /// Where the client token lives between runs. Default: the platform's keychain on native,
    /// the server's HttpOnly cookie on the web, memory (with a warning on screen) when no
    /// keychain works.
    pub token_store: Option<Arc<dyn TokenStore>>,
    /// The language of the built-in sentences (default: the system's).
    pub locale: Option<Locale>,
    /// The sentences, with any the app replaced (default: the built-in ones of `locale`).
    pub strings: Option<Strings>,
    /// The time limit of each request (default: 15 s). When it runs out the user sees "Can't
    /// reach the server…" with Try again.
    pub request_timeout: Option<Duration>,
    /// The time source (default: the system clock); tests give a manual one.
    pub clock: Option<Arc<dyn Clock>>,
    /// The app.
    pub children: Element,
}

impl PartialEq for AuthProviderProps {
    fn eq(&self, other: &Self) -> bool {
        fn same<T: ?Sized>(a: &Option<Arc<T>>, b: &Option<Arc<T>>) -> bool {
            match (a, b) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            }
        }
        self.api_url == other.api_url
            && self.keychain_service == other.keychain_service
            && same(&self.token_store, &other.token_store)
            && self.locale == other.locale
            && self.strings == other.strings
            && self.request_timeout == other.request_timeout
            && same(&self.clock, &other.clock)
            && self.children == other.children
    }
}

/// Signing in for everything below it: put it at the top of the app.
///
/// It makes the auth store once (later changes of its properties are not applied), restores the
/// session at start, adds the crate's stylesheet, and runs every request of the hooks and
/// components below it in its own scope.
///
/// ```no_run
/// use dioxus::prelude::*;
/// use otp_dioxus::{AuthProvider, SignedIn, SignedOut, components};
///
/// fn App() -> Element {
///     rsx! {
///         AuthProvider { api_url: "http://127.0.0.1:8787",
///             SignedOut { components::SignIn {} }
///             SignedIn { "Welcome!" components::SignOutButton {} }
///         }
///     }
/// }
/// ```
#[allow(non_snake_case)]
pub fn AuthProvider(props: AuthProviderProps) -> Element {
    let store = use_context_provider(|| {
        let url = props.api_url.trim().trim_end_matches('/').to_owned();
        let (tokens, warning) = match &props.token_store {
            Some(store) => (store.clone(), None),
            None => platform_token_store(
                props.keychain_service.as_deref().unwrap_or(DEFAULT_SERVICE),
                &url,
            ),
        };
        let strings = props
            .strings
            .clone()
            .unwrap_or_else(|| Strings::new(props.locale.unwrap_or_else(Locale::system)));
        let timeout = props.request_timeout.unwrap_or(otp_client::DEFAULT_TIMEOUT);
        let client = AuthClient::with(&url, tokens, strings, timeout);
        let clock = props.clock.clone().unwrap_or_else(|| Arc::new(SystemClock));
        let state = AuthState {
            keychain_warning: warning,
            ..AuthState::default()
        };
        AuthStore::new(client, clock, state)
    });
    use_hook(move || store.restore());
    rsx! {
        document::Stylesheet { href: STYLE }
        {props.children}
    }
}

/// Shows its children only while a user is signed in.
#[component]
pub fn SignedIn(children: Element) -> Element {
    let state = use_auth_store().state();
    let shown = matches!(state.read().phase, Phase::SignedIn(_));
    if shown {
        children
    } else {
        rsx! {}
    }
}

/// Shows its children only when nobody is signed in: once the saved session is known to be
/// gone, or when checking it failed (the prebuilt [`SignIn`](crate::components::SignIn) and
/// [`SignUp`](crate::components::SignUp) then say why, with Try again).
#[component]
pub fn SignedOut(children: Element) -> Element {
    let state = use_auth_store().state();
    let shown = match &state.read().phase {
        Phase::SignedOut(_) | Phase::Verifying(_) => true,
        Phase::Starting => state.read().error.is_some(),
        Phase::SignedIn(_) => false,
    };
    if shown {
        children
    } else {
        rsx! {}
    }
}

/// Shows its children only while the saved session is being checked at start (not once that
/// check failed: then [`SignedOut`] shows).
#[component]
pub fn AuthLoading(children: Element) -> Element {
    let state = use_auth_store().state();
    let shown = state.read().phase == Phase::Starting && state.read().error.is_none();
    if shown {
        children
    } else {
        rsx! {}
    }
}
