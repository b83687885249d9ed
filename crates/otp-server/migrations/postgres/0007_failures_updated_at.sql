-- When an identifier's count of wrong codes last changed, so that the janitor can forget a count
-- no wrong code has added to for a day (one wrong guess at each of many identifiers would
-- otherwise leave a row per identifier forever). Rows from before count as long untouched.
ALTER TABLE identifier_failures ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
