-- Payouts: where each provider is paid, and each payout as a persisted
-- state machine (planned -> signed -> submitted -> confirmed | failed).
-- Money moves only in the ledger_* tables; these rows say why and where a
-- payout stands on chain. created_at/updated_at are unix microseconds;
-- valid_after/valid_before are unix seconds, the token's own clock.

-- One destination per provider: an address paid directly, or an x402 URL
-- whose 402 answer names the address.
CREATE TABLE settlement_payout_destinations (
    provider   TEXT    NOT NULL PRIMARY KEY,
    rail       TEXT    NOT NULL CHECK (rail IN ('direct', 'x402')),
    address    TEXT,
    url        TEXT,
    updated_at INTEGER NOT NULL,
    CHECK ((rail = 'direct' AND address IS NOT NULL AND url IS NULL)
        OR (rail = 'x402' AND url IS NOT NULL))
) STRICT;

-- token_value is the amount in token units, as a decimal string (it may
-- exceed 2^63). nonce is the EIP-3009 nonce, derived from id, so the same
-- payout can only ever move money once on chain.
CREATE TABLE settlement_payouts (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,
    provider     TEXT    NOT NULL,
    currency     TEXT    NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    token_value  TEXT    NOT NULL,
    rail         TEXT    NOT NULL CHECK (rail IN ('direct', 'x402')),
    pay_to       TEXT,
    url          TEXT,
    chain_id     INTEGER NOT NULL,
    token        TEXT    NOT NULL,
    treasury     TEXT    NOT NULL,
    nonce        TEXT    NOT NULL UNIQUE,
    valid_after  INTEGER NOT NULL,
    valid_before INTEGER NOT NULL,
    signature    TEXT,
    state        TEXT    NOT NULL CHECK (state IN ('planned', 'signed', 'submitted', 'confirmed', 'failed')),
    tx_hash      TEXT,
    block_number INTEGER,
    block_hash   TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    CHECK (state = 'planned' OR state = 'failed' OR signature IS NOT NULL),
    CHECK (state <> 'confirmed' OR (tx_hash IS NOT NULL AND block_number IS NOT NULL))
) STRICT;
-- At most one unfinished payout per provider and currency: netting never
-- pays the same balance through two payouts at once.
CREATE UNIQUE INDEX settlement_payouts_one_open ON settlement_payouts (provider, currency)
    WHERE state IN ('planned', 'signed', 'submitted');
CREATE INDEX settlement_payouts_by_provider ON settlement_payouts (provider, seq);

-- Which payout carried a settlement's provider share (NULL: not yet).
ALTER TABLE settlement_settlements ADD COLUMN payout_id TEXT;
CREATE INDEX settlement_settlements_by_payout ON settlement_settlements (payout_id);
