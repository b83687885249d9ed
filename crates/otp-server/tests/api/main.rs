//! Integration tests: each starts a real `otp-server` on 127.0.0.1:0 with its own SQLite database
//! and a manual clock, and drives it through the real `otp-client` SDK.

mod admin;
mod backend;
mod browser;
mod clerk_backend;
mod clerk_js;
mod concurrency;
mod conformance;
mod connections;
mod delivery;
mod email_identity;
mod enumeration;
mod errors;
mod helpers;
mod identifiers;
mod instances;
mod layout;
mod limits;
mod logs;
mod me;
mod openapi;
mod providers;
mod proxies;
mod secrets;
mod sessions;
mod sign_in;
mod sign_up;
mod startup;
mod store_contract;
mod test_identifiers;
mod webhooks;
