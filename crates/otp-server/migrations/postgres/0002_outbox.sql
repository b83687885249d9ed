-- The durable outbox: a message is written in the same transaction as the code it carries, and
-- the delivery worker sends it, retrying transient failures until its deadline. The payload (the
-- code) is sealed with a key derived from the server secret and wiped once the message is done.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    owner_id TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    recipient TEXT NOT NULL,
    locale TEXT,
    payload BYTEA,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'superseded')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    deadline_at BIGINT NOT NULL,
    last_error TEXT,
    provider_id TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE INDEX outbox_owner ON outbox(owner_id, id);
