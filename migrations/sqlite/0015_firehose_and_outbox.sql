-- Ingestion from a relay's firehose: the sequence number of the last event
-- durably applied, per relay (written after the event's effects commit, so
-- a crash replays at most that event, and applying is idempotent).
CREATE TABLE settlement_firehose_cursors (
    relay      TEXT    NOT NULL PRIMARY KEY,
    seq        INTEGER NOT NULL CHECK (seq >= 0),
    updated_at INTEGER NOT NULL
) STRICT;

-- Records and deletions a relay named that could not be taken for want of
-- their owner's DID document or PDS (or the proof verifier): taken again
-- later, apart from the stream, which never waits on a third party. A
-- deletion keeps the event's blocks, its proof.
CREATE TABLE settlement_firehose_deferred (
    uri        TEXT    NOT NULL,
    action     TEXT    NOT NULL CHECK (action IN ('record', 'deletion')),
    blocks     BLOB,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    INTEGER NOT NULL,
    last_error TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (uri, action)
) STRICT;
CREATE INDEX settlement_firehose_deferred_due ON settlement_firehose_deferred (next_at);

-- An account the relay said is not active (taken down, deactivated...):
-- its commits are not acted on until it is active again.
CREATE TABLE settlement_inactive_repos (
    did        TEXT    NOT NULL PRIMARY KEY,
    status     TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- Records of the exchange's own that no other table holds (its
-- exchangePolicy), as written to its repository.
CREATE TABLE settlement_own_records (
    uri        TEXT    NOT NULL PRIMARY KEY,
    cid        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- The outbox of the exchange's repository: every signed record the
-- exchange writes (settlements and their new versions, disputes, refunds,
-- compute contracts' payment records, its policy) is queued here by a trigger, so in the same transaction as
-- the decision that wrote it, whichever code path did. A worker writes
-- the current version with putRecord under the record's own key (a retry
-- is a no-op) and keeps the CID and commit the PDS answered. Pending: the
-- published CID is not the current one. A new record is queued at its
-- own creation time, a new version at the wall clock's (microseconds).
CREATE TABLE settlement_outbox (
    uri              TEXT    NOT NULL PRIMARY KEY,
    kind             TEXT    NOT NULL CHECK (kind IN ('settlement', 'dispute', 'refund', 'own', 'payment')),
    cid              TEXT    NOT NULL,
    enqueued_at      INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_at          INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    published_cid    TEXT,
    published_commit TEXT,
    published_rev    TEXT,
    published_at     INTEGER
) STRICT;
CREATE INDEX settlement_outbox_pending ON settlement_outbox (next_at, enqueued_at)
    WHERE published_cid IS NULL OR published_cid <> cid;

INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
    SELECT uri, 'settlement', cid, CAST(unixepoch('subsec') * 1000000 AS INTEGER) FROM settlement_settlements
    WHERE true ON CONFLICT (uri) DO NOTHING;
INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
    SELECT uri, 'dispute', cid, CAST(unixepoch('subsec') * 1000000 AS INTEGER) FROM settlement_disputes
    WHERE true ON CONFLICT (uri) DO NOTHING;
INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
    SELECT uri, 'refund', cid, CAST(unixepoch('subsec') * 1000000 AS INTEGER) FROM settlement_reversals
    WHERE uri IS NOT NULL
    ON CONFLICT (uri) DO NOTHING;

CREATE TRIGGER settlement_outbox_settlement_new AFTER INSERT ON settlement_settlements
BEGIN
    INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
        VALUES (NEW.uri, 'settlement', NEW.cid, NEW.created_at);
END;
CREATE TRIGGER settlement_outbox_settlement_version AFTER UPDATE OF cid ON settlement_settlements
    WHEN NEW.cid <> OLD.cid
BEGIN
    INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
        VALUES (NEW.uri, 'settlement', NEW.cid, CAST(unixepoch('subsec') * 1000000 AS INTEGER))
        ON CONFLICT (uri) DO UPDATE SET cid = excluded.cid, enqueued_at = excluded.enqueued_at,
            attempts = 0, next_at = 0, last_error = NULL;
END;
CREATE TRIGGER settlement_outbox_dispute_new AFTER INSERT ON settlement_disputes
BEGIN
    INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
        VALUES (NEW.uri, 'dispute', NEW.cid, NEW.created_at);
END;
CREATE TRIGGER settlement_outbox_dispute_version AFTER UPDATE OF cid ON settlement_disputes
    WHEN NEW.cid <> OLD.cid
BEGIN
    INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
        VALUES (NEW.uri, 'dispute', NEW.cid, CAST(unixepoch('subsec') * 1000000 AS INTEGER))
        ON CONFLICT (uri) DO UPDATE SET cid = excluded.cid, enqueued_at = excluded.enqueued_at,
            attempts = 0, next_at = 0, last_error = NULL;
END;
CREATE TRIGGER settlement_outbox_refund_new AFTER INSERT ON settlement_reversals
    WHEN NEW.uri IS NOT NULL
BEGIN
    INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
        VALUES (NEW.uri, 'refund', NEW.cid, NEW.created_at);
END;
CREATE TRIGGER settlement_outbox_own_new AFTER INSERT ON settlement_own_records
BEGIN
    INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
        VALUES (NEW.uri, 'own', NEW.cid, NEW.created_at);
END;
CREATE TRIGGER settlement_outbox_own_version AFTER UPDATE OF cid ON settlement_own_records
    WHEN NEW.cid <> OLD.cid
BEGIN
    INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
        VALUES (NEW.uri, 'own', NEW.cid, CAST(unixepoch('subsec') * 1000000 AS INTEGER))
        ON CONFLICT (uri) DO UPDATE SET cid = excluded.cid, enqueued_at = excluded.enqueued_at,
            attempts = 0, next_at = 0, last_error = NULL;
END;

-- The payment record of a compute contract (its CCBAP), found by URI.
CREATE INDEX settlement_contracts_by_payment ON settlement_contracts (payment_uri)
    WHERE payment_uri IS NOT NULL;
INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
    SELECT payment_uri, 'payment', payment_cid, CAST(unixepoch('subsec') * 1000000 AS INTEGER)
    FROM settlement_contracts WHERE payment_uri IS NOT NULL
    ON CONFLICT (uri) DO NOTHING;
CREATE TRIGGER settlement_outbox_payment AFTER UPDATE OF payment_cid ON settlement_contracts
    WHEN NEW.payment_uri IS NOT NULL AND NEW.payment_cid IS NOT OLD.payment_cid
BEGIN
    INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
        VALUES (NEW.payment_uri, 'payment', NEW.payment_cid, CAST(unixepoch('subsec') * 1000000 AS INTEGER))
        ON CONFLICT (uri) DO UPDATE SET cid = excluded.cid, enqueued_at = excluded.enqueued_at,
            attempts = 0, next_at = 0, last_error = NULL;
END;
