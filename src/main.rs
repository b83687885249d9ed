//! Starts the app: picks the backend (embedding a dev server, with the `dev-backend` feature,
//! when none is given) and launches the window.

use dioxus::prelude::*;
use otp_app::{App, backend};

fn main() {
    // Before launch, so that the choice of backend is logged. INFO, not the debug build's DEBUG:
    // the embedded server's libraries would print every SQL statement.
    let _ = dioxus::logger::init(dioxus::logger::tracing::Level::INFO);
    let backend = backend::start();
    let builder = LaunchBuilder::new().with_context(backend);
    #[cfg(feature = "desktop")]
    let builder = builder.with_cfg(
        dioxus::desktop::Config::new().with_menu(None).with_window(
            dioxus::desktop::WindowBuilder::new()
                .with_title("Passwordless sign-in")
                .with_inner_size(dioxus::desktop::LogicalSize::new(480.0, 720.0)),
        ),
    );
    builder.launch(App);
}
