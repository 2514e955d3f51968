-- Compute contracts: one row per accepted bid, keyed by its accept (CCBA),
-- with the requester's money moved in the same transaction as the row,
-- the treasury's signed EIP-3009 authorization to the bidder (its nonce a
-- hash of the contract id, so it can move money once), the transaction
-- that paid it, the payment record written for it and the bidder's
-- receipt (CCR). States only move forward:
--   accepted -> submitted -> paid -> receipted
--   accepted/submitted -> failed (never paid: the money goes back)
--   paid -> expired (no receipt by receipt_due: flagged for a dispute)
--   expired -> receipted (a late receipt)
CREATE TABLE settlement_contracts (
    seq               BIGSERIAL PRIMARY KEY,
    id                TEXT    NOT NULL UNIQUE,
    ccba_uri          TEXT    NOT NULL UNIQUE,
    ccba_cid          TEXT    NOT NULL,
    rfp_uri           TEXT    NOT NULL,
    rfp_cid           TEXT    NOT NULL,
    bid_uri           TEXT    NOT NULL,
    bid_cid           TEXT    NOT NULL,
    requester         TEXT    NOT NULL,
    provider          TEXT    NOT NULL,
    authorization_uri TEXT    NOT NULL,
    currency          TEXT    NOT NULL,
    amount_minor      BIGINT  NOT NULL CHECK (amount_minor > 0),
    fee_minor         BIGINT  NOT NULL CHECK (fee_minor >= 0),
    frequency         TEXT    NOT NULL,
    token_value       TEXT    NOT NULL,
    url               TEXT    NOT NULL,
    pay_to            TEXT    NOT NULL,
    nonce             TEXT    NOT NULL UNIQUE,
    valid_before      BIGINT  NOT NULL,
    signature         TEXT    NOT NULL,
    decision          TEXT    NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN ('accepted', 'submitted', 'paid', 'receipted', 'expired', 'failed')),
    tx_hash           TEXT,
    payment_uri       TEXT,
    payment_cid       TEXT,
    payment_value     TEXT,
    ccr_uri           TEXT    UNIQUE,
    ccr_cid           TEXT,
    receipt_due       BIGINT  NOT NULL,
    attempts          BIGINT  NOT NULL DEFAULT 0,
    error             TEXT,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
CREATE INDEX settlement_contracts_by_requester ON settlement_contracts (requester, seq);
CREATE INDEX settlement_contracts_by_provider ON settlement_contracts (provider, seq);
-- A one-time bid is paid once: a second accept of it is refused until
-- the first one failed.
CREATE UNIQUE INDEX settlement_contracts_one_time_bid ON settlement_contracts (bid_uri)
    WHERE frequency = 'one-time' AND state <> 'failed';
CREATE INDEX settlement_contracts_unfinished ON settlement_contracts (state, seq)
    WHERE state IN ('accepted', 'submitted', 'paid');

-- Each requester's trust policy, set by her (absent: vouched).
CREATE TABLE settlement_trust_policies (
    requester     TEXT    NOT NULL PRIMARY KEY,
    mode          TEXT    NOT NULL CHECK (mode IN ('vouched', 'network', 'open')),
    hops          BIGINT  NOT NULL CHECK (hops BETWEEN 1 AND 4),
    heed_vouchees BIGINT  NOT NULL CHECK (heed_vouchees IN (0, 1)),
    updated_at    BIGINT  NOT NULL
);

-- The latest vouch or denounce of each owner on each subject (a record
-- key is the subject, so a new version replaces the old one), with the
-- revision of the commit that proved it: an older one never replaces it.
CREATE TABLE settlement_vouches (
    owner      TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('vouch', 'denounce')),
    uri        TEXT    NOT NULL,
    cid        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    rev        TEXT,
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (owner, subject)
);
