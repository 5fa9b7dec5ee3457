-- The tier whose rules a member's keys were last given (from roles, an admin, or the default),
-- so a role change is applied once.
ALTER TABLE members ADD COLUMN effective_tier TEXT;
