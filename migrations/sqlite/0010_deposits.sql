-- x402 deposits, recorded before the payment is settled: (payer, nonce)
-- is the EIP-3009 authorization the payer signed, bound to the requester
-- it was first presented for. A deposit is credited once, from the
-- facilitator's answer or, if the request never got that far, from the
-- chain's logs; one never used is void once its authorization expired.
CREATE TABLE settlement_deposits (
    payer        TEXT    NOT NULL,
    nonce        TEXT    NOT NULL,
    requester    TEXT    NOT NULL,
    currency     TEXT    NOT NULL,
    token_value  TEXT    NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    valid_before INTEGER NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('pending', 'credited', 'void')),
    tx_hash      TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (payer, nonce)
) STRICT;
CREATE INDEX settlement_deposits_pending ON settlement_deposits (created_at) WHERE state = 'pending';
