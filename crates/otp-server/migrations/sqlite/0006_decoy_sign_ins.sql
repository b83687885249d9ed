-- Enumeration protection: a sign-in of an identifier nobody has (a decoy) is stored like any
-- other, so both cases write the same rows; it has no user, and keeps the id of the factor it
-- shows instead. SQLite cannot drop a NOT NULL constraint: the table is rebuilt (nothing
-- references it).
CREATE TABLE sign_ins_new (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients(id),
    identifier TEXT NOT NULL,
    user_id TEXT REFERENCES users(id),
    status TEXT NOT NULL,
    created_session_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    abandon_at INTEGER NOT NULL,
    decoy_factor_id TEXT,
    CHECK ((user_id IS NULL) <> (decoy_factor_id IS NULL))
);
INSERT INTO sign_ins_new (id, client_id, identifier, user_id, status, created_session_id,
                          created_at, updated_at, abandon_at)
SELECT id, client_id, identifier, user_id, status, created_session_id, created_at, updated_at,
       abandon_at
FROM sign_ins;
DROP TABLE sign_ins;
ALTER TABLE sign_ins_new RENAME TO sign_ins;
-- The rebuild dropped the janitor's indexes of 0005: made again.
CREATE INDEX sign_ins_abandon ON sign_ins(abandon_at);
CREATE INDEX sign_ins_client ON sign_ins(client_id);
