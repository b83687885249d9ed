-- Abuse resistance: SMS-pumping blocks, and the indexes the janitor's bounded deletes use.

-- A destination prefix (`+1 202`, never a whole number) blocked because the codes sent to it in
-- the hour before were hardly ever typed back. One row per block: the fraud-block counter.
CREATE TABLE sms_fraud_blocks (
    id BIGSERIAL PRIMARY KEY,
    prefix TEXT NOT NULL,
    blocked_at BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL,
    sends BIGINT NOT NULL,
    verified BIGINT NOT NULL
);
CREATE INDEX sms_fraud_blocks_prefix ON sms_fraud_blocks(prefix, blocked_until);
CREATE INDEX sms_fraud_blocks_at ON sms_fraud_blocks(blocked_at);

-- What the janitor looks for, and what it checks before removing a client.
CREATE INDEX send_events_at ON send_events(at);
CREATE INDEX sign_ups_abandon ON sign_ups(abandon_at);
CREATE INDEX sign_ups_client ON sign_ups(client_id);
CREATE INDEX sign_ins_abandon ON sign_ins(abandon_at);
CREATE INDEX sign_ins_client ON sign_ins(client_id);
CREATE INDEX sessions_updated ON sessions(updated_at);
CREATE INDEX clients_updated ON clients(updated_at);
CREATE INDEX outbox_finished ON outbox(finished_at);
CREATE INDEX dev_outbox_sent ON dev_outbox(sent_at);
CREATE INDEX clients_last_active_session ON clients(last_active_session_id);
