-- Token buckets that every replica shares (RateLimiter): one row per key, e.g. per Zoho
-- connection, so that the replicas together keep to one request rate. A taker reserves a
-- permit by subtracting one token in a single statement; tokens below zero are a debt that
-- the taker waits out (at the bucket's rate) before it sends its request.
CREATE TABLE rate_buckets (
    key    TEXT PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    at     TIMESTAMPTZ NOT NULL -- when tokens was last brought up to date (database clock)
);
