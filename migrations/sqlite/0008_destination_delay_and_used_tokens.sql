-- A changed payout destination takes effect only at effective_at (unix
-- microseconds): payouts to a new destination wait out a cooling-off
-- period, so a stolen credential cannot redirect money at once. Rows
-- written before this migration are in effect already.
ALTER TABLE settlement_payout_destinations ADD COLUMN effective_at INTEGER NOT NULL DEFAULT 0;

-- Service auth tokens that changed state, each usable once: (iss, jti) is
-- kept until the token's exp (unix seconds) has passed.
CREATE TABLE settlement_used_tokens (
    iss TEXT    NOT NULL,
    jti TEXT    NOT NULL,
    exp INTEGER NOT NULL,
    PRIMARY KEY (iss, jti)
) STRICT;
CREATE INDEX settlement_used_tokens_exp ON settlement_used_tokens (exp);
