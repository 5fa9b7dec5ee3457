-- /mykey reads a user's latest request: by user, newest first, without scanning every request.
CREATE INDEX key_requests_by_user ON key_requests (discord_user_id, id);
