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
