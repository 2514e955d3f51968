-- A split charge's parts: what each payee of a computation earned from one
-- settlement, and the payout that carries it. A split settlement's own row
-- is carried by its parts, never by a payout (its payout_id is 'split').
CREATE TABLE settlement_parts (
    settlement_uri TEXT    NOT NULL,
    idx            INTEGER NOT NULL CHECK (idx >= 0),
    payee          TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('compute', 'algorithm', 'data')),
    currency       TEXT    NOT NULL,
    amount_minor   INTEGER NOT NULL CHECK (amount_minor >= 0),
    payout_id      TEXT,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (settlement_uri, idx)
) STRICT;
CREATE INDEX settlement_parts_unpaid ON settlement_parts (payee, currency)
    WHERE payout_id IS NULL;
CREATE INDEX settlement_parts_by_payout ON settlement_parts (payout_id)
    WHERE payout_id IS NOT NULL;

-- What a verdict took back from each part of a split settlement.
CREATE TABLE settlement_reversal_parts (
    dispute_id         TEXT    NOT NULL,
    idx                INTEGER NOT NULL CHECK (idx >= 0),
    settlement_uri     TEXT    NOT NULL,
    payee              TEXT    NOT NULL,
    amount_minor       INTEGER NOT NULL CHECK (amount_minor >= 0),
    from_payable_minor INTEGER NOT NULL CHECK (from_payable_minor >= 0 AND from_payable_minor <= amount_minor),
    PRIMARY KEY (dispute_id, idx)
) STRICT;
CREATE INDEX settlement_reversal_parts_by_part ON settlement_reversal_parts (settlement_uri, idx);
