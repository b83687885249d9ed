-- Email identity: every identifier gets a canonical key (an email in Unicode NFC, its local part
-- lowercased, its domain lowercased and IDNA-encoded; a phone number's E.164 form), and the key,
-- not the value, is what is matched, rate-limited and kept unique. `value` keeps the address as
-- the user typed it, for display.
--
-- Emails need Rust (NFC, IDNA) to be keyed: the server keys the rows left with no key here when
-- it starts (store::connect, after the migrations), oldest first. When two older accounts' emails
-- have one key (`Alice@x.com`, `alice@x.com`), the oldest gets the key; each other keeps it too
-- but with `legacy_exact` set: it is left out of the uniqueness, and found only by the exact
-- value it was stored under, so its owner still signs in by typing the address as before.
ALTER TABLE user_identifiers ADD COLUMN canonical TEXT;
ALTER TABLE user_identifiers ADD COLUMN legacy_exact BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE user_identifiers SET canonical = value WHERE kind = 'phone';
CREATE UNIQUE INDEX user_identifiers_canonical ON user_identifiers(canonical)
    WHERE NOT legacy_exact;

-- Dev mode's outbox is looked up by key too (any casing of an address finds its messages).
ALTER TABLE dev_outbox ADD COLUMN recipient_key TEXT;
UPDATE dev_outbox SET recipient_key = recipient;
CREATE INDEX dev_outbox_recipient_key ON dev_outbox(recipient_key, id);
