-- The bot's whole schema. Money is integer micro-dollars, times are unix seconds (UTC).
-- SQLite has no boolean type that sqlx's Any driver reads: flags are INTEGER 0/1 here.
-- Kept in step with migrations/postgres/0001_schema.sql.

CREATE TABLE members (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT    NOT NULL UNIQUE,
    discord_user_id BIGINT  UNIQUE,
    tier            TEXT,
    status          TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'departed')),
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    departed_at     BIGINT
);

CREATE TABLE key_requests (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    discord_user_id     BIGINT  NOT NULL,
    member_id           BIGINT  REFERENCES members (id),
    member_name         TEXT    NOT NULL,
    tier                TEXT    NOT NULL,
    kind                TEXT    NOT NULL DEFAULT 'new' CHECK (kind IN ('new', 'rotate')),
    reason              TEXT    NOT NULL,
    status              TEXT    NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'denied', 'provisioning', 'fulfilled', 'expired', 'cancelled')),
    decided_by          BIGINT,
    decided_at          BIGINT,
    decision_note       TEXT,
    approval_channel_id BIGINT,
    approval_message_id BIGINT,
    dm_failed           INTEGER NOT NULL DEFAULT 0,
    key_name            TEXT,
    key_hash            TEXT,
    replaces_key_hash   TEXT,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    expires_at          BIGINT  NOT NULL
);
-- A user has at most one request in flight.
CREATE UNIQUE INDEX key_requests_one_open_per_user ON key_requests (discord_user_id)
    WHERE status IN ('pending', 'approved', 'provisioning');
CREATE INDEX key_requests_by_status ON key_requests (status, expires_at);

CREATE TABLE keys (
    hash                 TEXT    PRIMARY KEY,
    member_id            BIGINT  REFERENCES members (id),
    request_id           BIGINT  REFERENCES key_requests (id),
    name                 TEXT    NOT NULL,
    label                TEXT    NOT NULL,
    workspace_id         TEXT,
    disabled             INTEGER NOT NULL DEFAULT 0,
    limit_micros         BIGINT,
    limit_reset          TEXT    NOT NULL DEFAULT 'none' CHECK (limit_reset IN ('daily', 'weekly', 'monthly', 'none')),
    usage_micros         BIGINT  NOT NULL DEFAULT 0,
    usage_daily_micros   BIGINT  NOT NULL DEFAULT 0,
    usage_weekly_micros  BIGINT  NOT NULL DEFAULT 0,
    usage_monthly_micros BIGINT  NOT NULL DEFAULT 0,
    guardrail_id         TEXT,
    created_at           BIGINT  NOT NULL,
    expires_at           BIGINT,
    synced_at            BIGINT,
    deleted_at           BIGINT
);
CREATE INDEX keys_by_member ON keys (member_id);
CREATE INDEX keys_by_name ON keys (name);

CREATE TABLE usage_snapshots (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    key_hash             TEXT    NOT NULL,
    taken_at             BIGINT  NOT NULL,
    usage_micros         BIGINT  NOT NULL,
    usage_daily_micros   BIGINT  NOT NULL,
    usage_weekly_micros  BIGINT  NOT NULL,
    usage_monthly_micros BIGINT  NOT NULL,
    limit_micros         BIGINT
);
CREATE INDEX usage_snapshots_by_key ON usage_snapshots (key_hash, taken_at);
CREATE INDEX usage_snapshots_by_time ON usage_snapshots (taken_at);

CREATE TABLE alerts_sent (
    key_hash     TEXT    NOT NULL,
    window_start BIGINT  NOT NULL,
    threshold    BIGINT  NOT NULL,
    sent_at      BIGINT  NOT NULL,
    PRIMARY KEY (key_hash, window_start, threshold)
);

-- Team-level and lifecycle notices (credits low, spikes, reminders), each at most once per period.
CREATE TABLE notices_sent (
    kind    TEXT   NOT NULL,
    subject TEXT   NOT NULL,
    period  TEXT   NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (kind, subject, period)
);

CREATE TABLE job_runs (
    job         TEXT   NOT NULL,
    period      TEXT   NOT NULL,
    claimed_at  BIGINT NOT NULL,
    claimed_by  TEXT   NOT NULL,
    finished_at BIGINT,
    outcome     TEXT,
    message_id  BIGINT,
    PRIMARY KEY (job, period)
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         BIGINT NOT NULL,
    actor_id   BIGINT,
    actor_name TEXT   NOT NULL,
    action     TEXT   NOT NULL,
    target     TEXT   NOT NULL,
    details    TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_time ON audit_log (at);

CREATE TABLE tier_guardrails (
    tier           TEXT   PRIMARY KEY,
    guardrail_id   TEXT   NOT NULL,
    allowed_models TEXT   NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE top_ups (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    key_hash              TEXT    NOT NULL,
    member_id             BIGINT  REFERENCES members (id),
    requested_by          BIGINT  NOT NULL,
    amount_micros         BIGINT  NOT NULL CHECK (amount_micros > 0),
    reason                TEXT    NOT NULL DEFAULT '',
    status                TEXT    NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'denied', 'applied', 'reverted', 'expired')),
    decided_by            BIGINT,
    decided_at            BIGINT,
    original_limit_micros BIGINT,
    window_end            BIGINT,
    approval_channel_id   BIGINT,
    approval_message_id   BIGINT,
    created_at            BIGINT  NOT NULL,
    updated_at            BIGINT  NOT NULL
);
CREATE INDEX top_ups_by_status ON top_ups (status, window_end);
