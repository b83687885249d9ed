-- Enumeration protection: a sign-in of an identifier nobody has (a decoy) is stored like any
-- other, so both cases write the same rows; it has no user, and keeps the id of the factor it
-- shows instead.
ALTER TABLE sign_ins ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE sign_ins ADD COLUMN decoy_factor_id TEXT;
ALTER TABLE sign_ins ADD CONSTRAINT sign_ins_user_or_decoy
    CHECK ((user_id IS NULL) <> (decoy_factor_id IS NULL));
