-- A key replaced by a rotation whose deletion at OpenRouter failed: no longer the member's key,
-- deleted by the bot's retries as soon as OpenRouter lets it.
ALTER TABLE keys ADD COLUMN retiring_since BIGINT;
