-- Where each session was last used from (GET /v1/me/sessions/active shows it).
ALTER TABLE sessions ADD COLUMN activity_ip TEXT;
ALTER TABLE sessions ADD COLUMN activity_agent TEXT;
