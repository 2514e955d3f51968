-- Disputes and refunds. A dispute is the exchange's signed
-- dev.cocore.compute.dispute record about one settlement: opened by the
-- requester (or the operator), resolved by the operator with a verdict
-- whose money moves in the same transaction as the row. At most one
-- dispute of a settlement is open at a time; refunds of a settlement never
-- add up to more than it charged (checked under the row's lock).
CREATE TABLE settlement_disputes (
    id             TEXT    NOT NULL PRIMARY KEY,
    uri            TEXT    NOT NULL UNIQUE,
    cid            TEXT    NOT NULL,
    value          TEXT    NOT NULL,
    settlement_uri TEXT    NOT NULL,
    requester      TEXT    NOT NULL,
    provider       TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    raised_by      TEXT    NOT NULL,
    category       TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('open', 'resolved')),
    verdict        TEXT    CHECK (verdict IN ('refund-full', 'refund-partial', 'uphold-charge', 'forfeit-payout')),
    created_at     INTEGER NOT NULL,
    resolved_at    INTEGER,
    CHECK ((status = 'open') = (verdict IS NULL))
) STRICT;
CREATE UNIQUE INDEX settlement_disputes_one_open ON settlement_disputes (settlement_uri)
    WHERE status = 'open';
CREATE INDEX settlement_disputes_by_settlement ON settlement_disputes (settlement_uri, created_at);
CREATE INDEX settlement_disputes_open_by_provider ON settlement_disputes (provider, currency)
    WHERE status = 'open';

-- Money a verdict moved back from one settlement: a refund (to the
-- requester: status refunded, with its signed settlement record) or a
-- forfeit (the provider's share kept by the exchange; no record).
-- provider_minor came from the provider's payable balance
-- (from_payable_minor) and, for a provider already paid, from its
-- receivable (the rest), recovered from its next payouts.
CREATE TABLE settlement_reversals (
    dispute_id         TEXT    NOT NULL PRIMARY KEY,
    kind               TEXT    NOT NULL CHECK (kind IN ('refund', 'forfeit')),
    settlement_uri     TEXT    NOT NULL,
    uri                TEXT    UNIQUE,
    cid                TEXT,
    value              TEXT,
    provider           TEXT    NOT NULL,
    currency           TEXT    NOT NULL,
    amount_minor       INTEGER NOT NULL CHECK (amount_minor >= 0),
    provider_minor     INTEGER NOT NULL CHECK (provider_minor >= 0),
    fee_minor          INTEGER NOT NULL CHECK (fee_minor >= 0),
    from_payable_minor INTEGER NOT NULL CHECK (from_payable_minor >= 0 AND from_payable_minor <= provider_minor),
    created_at         INTEGER NOT NULL,
    CHECK ((kind = 'refund') = (uri IS NOT NULL)),
    CHECK (amount_minor = provider_minor + fee_minor)
) STRICT;
CREATE INDEX settlement_reversals_by_settlement ON settlement_reversals (settlement_uri);
