-- The signed-in user's account (/v1/me): identifiers added after sign-up, the primary ones,
-- and reverification.

-- An identifier a user added and has not verified yet. It is not an identifier of theirs for
-- sign-in, and it blocks nobody: whoever verifies a key first gets it in user_identifiers (whose
-- unique index decides), under the same id.
CREATE TABLE unverified_identifiers (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('phone', 'email')),
    value TEXT NOT NULL,
    canonical TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, canonical)
);

-- The identifiers a user chose as primary; NULL (or one removed since) means their oldest
-- verified one of that kind.
ALTER TABLE users ADD COLUMN primary_email_id TEXT;
ALTER TABLE users ADD COLUMN primary_phone_id TEXT;

-- The last time the session's user typed a code to prove it was them (a sign-in, or a
-- reverification); NULL means at its sign-in (created_at).
ALTER TABLE sessions ADD COLUMN verified_at INTEGER;
