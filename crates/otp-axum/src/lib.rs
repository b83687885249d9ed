//! `otp-axum`: check `otp-server` session tokens in an axum server.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use otp_axum::{Session, SessionVerifier};
//!
//! async fn me(session: Session) -> String {
//!     format!("{} in {}", session.user_id, session.session_id)
//! }
//!
//! # async fn demo() {
//! let verifier = SessionVerifier::new("https://auth.example.com/.well-known/jwks.json");
//! let app: Router = Router::new().route("/me", get(me)).with_state(verifier);
//! # }
//! ```
//!
//! # Layout
//! - [`SessionVerifier`] (`verifier.rs`): fetches the server's JWKS once and caches it (five
//!   minutes, and at once for a key it has not seen yet), and checks a token's signature (EdDSA
//!   or RS256), `exp`, `nbf` and, if asked, `iss`, into [`Claims`].
//! - [`Session`] (`extract.rs`): the axum extractor: the token from `Authorization: Bearer …`
//!   (or the `__session` cookie clerk-js sets), checked.
//! - [`Rejection`] (`rejection.rs`): why there is no session, answered 401 in Clerk's error
//!   shape (503 while the JWKS cannot be fetched at all).

mod extract;
mod rejection;
mod verifier;

pub use extract::Session;
pub use rejection::Rejection;
pub use verifier::{Claims, SessionVerifier};
