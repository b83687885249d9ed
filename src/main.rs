//! The app: passwordless sign-up and sign-in with one-time codes, on desktop, mobile and the web.
//!
//! # Layout
//! - `main.rs`: the [`Route`] enum, `main` and [`App`].
//! - [`backend`]: which OTP backend the app talks to; on desktop, an embedded dev-mode
//!   `otp-server` so the app runs with no setup.
//! - [`views`]: one file per screen.

mod backend;
mod views;

use backend::Backend;
use dioxus::prelude::*;
use views::Home;

/// The screens.
#[derive(Debug, Clone, Routable, PartialEq)]
#[rustfmt::skip]
enum Route {
    #[route("/")]
    Home {},
}

const STYLE: Asset = asset!("/assets/main.css");

fn main() {
    let backend = backend::start();
    let builder = LaunchBuilder::new().with_context(backend);
    #[cfg(feature = "desktop")]
    let builder = builder.with_cfg(
        dioxus::desktop::Config::new()
            .with_menu(None)
            .with_window(dioxus::desktop::WindowBuilder::new().with_title("Passwordless sign-in")),
    );
    builder.launch(App);
}

/// The root: stylesheet and router.
#[component]
fn App() -> Element {
    rsx! {
        document::Stylesheet { href: STYLE }
        Router::<Route> {}
    }
}

/// The backend this app talks to, provided at launch.
fn use_backend() -> Backend {
    use_context::<Backend>()
}
