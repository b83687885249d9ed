-- Sessions of a user on every device (GET /v1/me/sessions/active, revoking one).
CREATE INDEX sessions_user ON sessions(user_id, status);
