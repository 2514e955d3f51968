-- Proofs of inference (TensorCash). The bytes of a proof (a blob, by its
-- raw CID), which proof record is the evidence of which receipt (one per
-- receipt, published by its provider), and each verdict of the gate: a
-- pass or a hold written in the same transaction as the settlement, a
-- refusal alone (nothing moved). A held provider share is never paid out
-- until the operator releases it (or refunds the charge); 'refunding' is
-- a refund under way, still held.
CREATE TABLE settlement_blobs (
    cid        TEXT    NOT NULL PRIMARY KEY,
    bytes      BLOB    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE settlement_inference_proofs (
    receipt_uri TEXT    NOT NULL PRIMARY KEY,
    proof_uri   TEXT    NOT NULL UNIQUE,
    proof_cid   TEXT    NOT NULL,
    blob_cid    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE settlement_inference_verdicts (
    receipt_uri    TEXT    NOT NULL PRIMARY KEY,
    proof_uri      TEXT    NOT NULL,
    proof_cid      TEXT    NOT NULL,
    settlement_uri TEXT    UNIQUE,
    verifier       TEXT    NOT NULL,
    hash_id        TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    verdict        TEXT    NOT NULL CHECK (verdict IN ('pass', 'hold', 'refuse')),
    hold           TEXT    CHECK (hold IN ('held', 'refunding', 'released', 'refunded')),
    checked_at     INTEGER NOT NULL,
    decided_at     INTEGER,
    CHECK ((verdict = 'hold') = (hold IS NOT NULL)),
    CHECK ((verdict = 'refuse') = (settlement_uri IS NULL))
) STRICT;
CREATE INDEX settlement_inference_held ON settlement_inference_verdicts (settlement_uri)
    WHERE hold IN ('held', 'refunding');

-- Which receipt a proof (by its final hash, which commits to its whole
-- window) is the evidence of: claimed once, by the first receipt the gate
-- checks it for, so one proof is never the evidence of two receipts.
CREATE TABLE settlement_proof_claims (
    proof_hash  TEXT NOT NULL PRIMARY KEY,
    receipt_uri TEXT NOT NULL
) STRICT;
