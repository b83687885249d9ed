-- The Backend API (for the app developer's own servers): its secret keys, and banned users.

-- A secret key (`sk_live_…`): only its SHA-256 is kept, and the last characters to tell keys
-- apart in a list. A revoked key stays listed, refused.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- When the operator banned the user (NULL: not banned). A banned user cannot sign in.
ALTER TABLE users ADD COLUMN banned_at INTEGER;

-- Listing users newest first (GET /v1/users).
CREATE INDEX users_created ON users(created_at);

-- Session-token signing keys of either algorithm (--jwt-algorithm): EdDSA (Ed25519) or RS256
-- (RSA 2048); the PEM is PKCS#8 for both.
ALTER TABLE jwt_keys ADD COLUMN algorithm TEXT NOT NULL DEFAULT 'EdDSA';
-- A key revoked by the operator (`otp-server signing-keys rotate --revoke-previous`, after a
-- leak): no longer published, so the tokens it signed stop verifying at once.
ALTER TABLE jwt_keys ADD COLUMN revoked_at INTEGER;

-- Webhook endpoints made with `otp-server webhooks create` (the one of --webhook-url is
-- configuration, not a row). The signing secret is kept to sign, as Svix keeps it.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- The webhook outbox: one row per event and endpoint, written in the same transaction as the
-- change it tells of, its body fixed then (a retry sends the same bytes under the same msg_id,
-- the `svix-id`). Delivered in order per user and endpoint, at least once.
CREATE TABLE webhook_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    deadline_at INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX webhook_outbox_due ON webhook_outbox(status, next_attempt_at);
CREATE INDEX webhook_outbox_user ON webhook_outbox(user_id, endpoint_id, id);
