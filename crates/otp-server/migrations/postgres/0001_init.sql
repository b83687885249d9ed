-- The OTP server's schema for PostgreSQL (the same as SQLite's). Times are ms since the Unix epoch.

-- A device: holds the hash of its client token, never the token.
CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    sign_up_id TEXT,
    sign_in_id TEXT,
    last_active_session_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    last_sign_in_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Verified phone numbers and emails of users. The UNIQUE value is what makes two concurrent
-- sign-ups of one identifier create exactly one user.
CREATE TABLE user_identifiers (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('phone', 'email')),
    value TEXT NOT NULL UNIQUE,
    verified_strategy TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX user_identifiers_user ON user_identifiers(user_id);

CREATE TABLE sign_ups (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients(id),
    kind TEXT NOT NULL CHECK (kind IN ('phone', 'email')),
    identifier TEXT NOT NULL,
    status TEXT NOT NULL,
    created_user_id TEXT,
    created_session_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    abandon_at BIGINT NOT NULL
);

CREATE TABLE sign_ins (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients(id),
    identifier TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL,
    created_session_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    abandon_at BIGINT NOT NULL
);

-- The current code of a sign-up or sign-in (its owner): preparing again replaces it, so only
-- the latest code is valid. The code is kept as an HMAC bound to the owner.
CREATE TABLE codes (
    owner_id TEXT PRIMARY KEY,
    strategy TEXT NOT NULL,
    identifier TEXT NOT NULL,
    identifier_id TEXT,
    mac BYTEA NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'failed', 'expired')),
    attempts BIGINT NOT NULL,
    expire_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL CHECK (status IN ('active', 'ended', 'revoked')),
    last_active_at BIGINT NOT NULL,
    abandon_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sessions_client ON sessions(client_id, status);

-- Sends, for the rate limits: scope is 'to:<identifier>' or 'ip:<address>'.
CREATE TABLE send_events (
    scope TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX send_events_scope_at ON send_events(scope, at);

-- Consecutive wrong codes per identifier, and the lock they lead to.
CREATE TABLE identifier_failures (
    identifier TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    locked_until BIGINT
);

-- Dev mode only: every message that would have been sent, code in clear.
CREATE TABLE dev_outbox (
    id BIGSERIAL PRIMARY KEY,
    recipient TEXT NOT NULL,
    channel TEXT NOT NULL,
    code TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at BIGINT NOT NULL
);
CREATE INDEX dev_outbox_recipient ON dev_outbox(recipient, id);
