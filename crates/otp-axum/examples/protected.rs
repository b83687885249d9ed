//! A protected route in an app developer's own axum server: `GET /me` answers the signed-in
//! user's id, and 401 without a valid session token.
//!
//! ```sh
//! OTP_JWKS_URL=http://127.0.0.1:8787/.well-known/jwks.json cargo run -p otp-axum --example protected
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3000/me
//! ```

use axum::routing::get;
use axum::{Json, Router};
use otp_axum::{Session, SessionVerifier};

/// The app: its routes, with the verifier as state.
pub fn app(verifier: SessionVerifier) -> Router {
    Router::new()
        .route("/me", get(me))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(verifier)
}

/// Only for a signed-in user.
async fn me(session: Session) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "user_id": session.user_id,
        "session_id": session.session_id,
    }))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let jwks = std::env::var("OTP_JWKS_URL")
        .unwrap_or_else(|_| "http://127.0.0.1:8787/.well-known/jwks.json".into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}/me", listener.local_addr()?);
    axum::serve(listener, app(SessionVerifier::new(jwks))).await
}
