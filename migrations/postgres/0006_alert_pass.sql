-- The alert pass after a sync reads every key's announced thresholds of the current windows, and
-- the gateway's budget refusals in them, in one query each.
CREATE INDEX alerts_sent_by_window ON alerts_sent (window_start);
CREATE INDEX gateway_requests_refused_budget ON gateway_requests (started_at) WHERE outcome = 'refused_budget';
