-- The server's keys live in the database, so every instance on it uses the same ones.
-- The HMAC key of codes (one row, 'hmac'), unless given by configuration.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    secret BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- Session-token signing keys: the newest generation signs; older ones stay published in the
-- JWKS until the tokens they signed have expired.
CREATE TABLE jwt_keys (
    generation BIGINT PRIMARY KEY,
    pem TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
