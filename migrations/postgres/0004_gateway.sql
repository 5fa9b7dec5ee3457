-- Shared-key mode. A gateway token lives in `keys` beside OpenRouter keys (so rotation,
-- revocation, disabling and departures treat both alike); its `hash` is the token's keyed
-- digest, never the token.
ALTER TABLE keys ADD COLUMN access TEXT NOT NULL DEFAULT 'key' CHECK (access IN ('key', 'gateway'));

-- The ledger: one row per gateway request of a known member, from its hold to its settled cost.
-- Money is integer nano-dollars (1 USD = 1_000_000_000), so a cheap request never rounds to zero.
CREATE TABLE gateway_requests (
    id                TEXT    PRIMARY KEY,
    key_hash          TEXT    NOT NULL,
    member_id         BIGINT,
    tier              TEXT    NOT NULL,
    requested_model   TEXT    NOT NULL,
    served_model      TEXT    NOT NULL,
    outcome           TEXT    NOT NULL CHECK (outcome IN ('served', 'downgraded', 'refused_model',
        'refused_budget', 'throttled', 'bad_request', 'upstream_error', 'unreachable')),
    status            TEXT    NOT NULL CHECK (status IN ('held', 'settled')),
    hold_nanos        BIGINT  NOT NULL DEFAULT 0,
    cost_nanos        BIGINT,
    cost_source       TEXT,
    prompt_tokens     BIGINT,
    completion_tokens BIGINT,
    generation_id     TEXT    UNIQUE,
    http_status       INTEGER,
    streamed          BOOLEAN NOT NULL DEFAULT FALSE,
    instance          TEXT    NOT NULL,
    started_at        BIGINT  NOT NULL,
    settled_at        BIGINT
);
CREATE INDEX gateway_requests_by_key ON gateway_requests (key_hash, started_at);
CREATE INDEX gateway_requests_held ON gateway_requests (instance) WHERE status = 'held';

-- What each running gateway may spend of a token's budget window: the sum over instances never
-- passes the limit, so several gateways on one database keep a budget exact.
CREATE TABLE gateway_leases (
    key_hash     TEXT   NOT NULL,
    window_start BIGINT NOT NULL,
    instance     TEXT   NOT NULL,
    amount_nanos BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (key_hash, window_start, instance)
);

-- Each running gateway's heartbeat; one that stopped beating left its holds to the others.
CREATE TABLE gateway_instances (
    instance   TEXT   PRIMARY KEY,
    started_at BIGINT NOT NULL,
    beat_at    BIGINT NOT NULL
);
