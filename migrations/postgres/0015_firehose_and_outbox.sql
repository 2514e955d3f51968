-- Ingestion from a relay's firehose: the sequence number of the last event
-- durably applied, per relay (written after the event's effects commit, so
-- a crash replays at most that event, and applying is idempotent).
CREATE TABLE settlement_firehose_cursors (
    relay      TEXT   NOT NULL PRIMARY KEY,
    seq        BIGINT NOT NULL CHECK (seq >= 0),
    updated_at BIGINT NOT NULL
);

-- Records and deletions a relay named that could not be taken for want of
-- their owner's DID document or PDS (or the proof verifier): taken again
-- later, apart from the stream, which never waits on a third party. A
-- deletion keeps the event's blocks, its proof.
CREATE TABLE settlement_firehose_deferred (
    uri        TEXT    NOT NULL,
    action     TEXT    NOT NULL CHECK (action IN ('record', 'deletion')),
    blocks     BYTEA,
    attempts   BIGINT NOT NULL DEFAULT 0,
    next_at    BIGINT NOT NULL,
    last_error TEXT    NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (uri, action)
);
CREATE INDEX settlement_firehose_deferred_due ON settlement_firehose_deferred (next_at);

-- An account the relay said is not active (taken down, deactivated...):
-- its commits are not acted on until it is active again.
CREATE TABLE settlement_inactive_repos (
    did        TEXT   NOT NULL PRIMARY KEY,
    status     TEXT   NOT NULL,
    seq        BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Records of the exchange's own that no other table holds (its
-- exchangePolicy), as written to its repository.
CREATE TABLE settlement_own_records (
    uri        TEXT   NOT NULL PRIMARY KEY,
    cid        TEXT   NOT NULL,
    value      TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

-- The outbox of the exchange's repository: every signed record the
-- exchange writes (settlements and their new versions, disputes, refunds,
-- compute contracts' payment records, its policy) is queued here by a trigger, so in the same transaction as
-- the decision that wrote it, whichever code path did. A worker writes
-- the current version with putRecord under the record's own key (a retry
-- is a no-op) and keeps the CID and commit the PDS answered. Pending: the
-- published CID is not the current one. A new record is queued at its
-- own creation time, a new version at the wall clock's (microseconds).
CREATE TABLE settlement_outbox (
    uri              TEXT   NOT NULL PRIMARY KEY,
    kind             TEXT   NOT NULL CHECK (kind IN ('settlement', 'dispute', 'refund', 'own', 'payment')),
    cid              TEXT   NOT NULL,
    enqueued_at      BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_at          BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT,
    published_cid    TEXT,
    published_commit TEXT,
    published_rev    TEXT,
    published_at     BIGINT
);
CREATE INDEX settlement_outbox_pending ON settlement_outbox (next_at, enqueued_at)
    WHERE published_cid IS NULL OR published_cid <> cid;

INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
    SELECT uri, 'settlement', cid, (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT FROM settlement_settlements
    ON CONFLICT (uri) DO NOTHING;
INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
    SELECT uri, 'dispute', cid, (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT FROM settlement_disputes
    ON CONFLICT (uri) DO NOTHING;
INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
    SELECT uri, 'refund', cid, (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT FROM settlement_reversals
    WHERE uri IS NOT NULL
    ON CONFLICT (uri) DO NOTHING;

-- The payment record of a compute contract (its CCBAP), found by URI.
CREATE INDEX settlement_contracts_by_payment ON settlement_contracts (payment_uri)
    WHERE payment_uri IS NOT NULL;
INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
    SELECT payment_uri, 'payment', payment_cid, (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT
    FROM settlement_contracts WHERE payment_uri IS NOT NULL
    ON CONFLICT (uri) DO NOTHING;

-- New rows are queued once per statement (a group commit writes many
-- settlements in one), from the statement's transition table; TG_ARGV[0]
-- is the kind. A new version (another CID) is queued by a row trigger.
CREATE FUNCTION settlement_outbox_enqueue_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
        SELECT uri, TG_ARGV[0], cid, created_at FROM new_rows WHERE uri IS NOT NULL;
    RETURN NULL;
END;
$$;

CREATE FUNCTION settlement_outbox_enqueue_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.uri IS NULL OR NEW.cid IS NOT DISTINCT FROM OLD.cid THEN
        RETURN NULL;
    END IF;
    INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
        VALUES (NEW.uri, TG_ARGV[0], NEW.cid, (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT)
        ON CONFLICT (uri) DO UPDATE SET cid = excluded.cid, enqueued_at = excluded.enqueued_at,
            attempts = 0, next_at = 0, last_error = NULL;
    RETURN NULL;
END;
$$;

-- A contract's payment record is written (or replaced) by an update.
CREATE FUNCTION settlement_outbox_enqueue_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.payment_uri IS NULL OR NEW.payment_cid IS NOT DISTINCT FROM OLD.payment_cid THEN
        RETURN NULL;
    END IF;
    INSERT INTO settlement_outbox (uri, kind, cid, enqueued_at)
        VALUES (NEW.payment_uri, 'payment', NEW.payment_cid, (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT)
        ON CONFLICT (uri) DO UPDATE SET cid = excluded.cid, enqueued_at = excluded.enqueued_at,
            attempts = 0, next_at = 0, last_error = NULL;
    RETURN NULL;
END;
$$;

CREATE TRIGGER settlement_outbox_settlements_new AFTER INSERT ON settlement_settlements
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION settlement_outbox_enqueue_rows('settlement');
CREATE TRIGGER settlement_outbox_settlements_version AFTER UPDATE OF cid ON settlement_settlements
    FOR EACH ROW EXECUTE FUNCTION settlement_outbox_enqueue_version('settlement');
CREATE TRIGGER settlement_outbox_disputes_new AFTER INSERT ON settlement_disputes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION settlement_outbox_enqueue_rows('dispute');
CREATE TRIGGER settlement_outbox_disputes_version AFTER UPDATE OF cid ON settlement_disputes
    FOR EACH ROW EXECUTE FUNCTION settlement_outbox_enqueue_version('dispute');
CREATE TRIGGER settlement_outbox_refunds_new AFTER INSERT ON settlement_reversals
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION settlement_outbox_enqueue_rows('refund');
CREATE TRIGGER settlement_outbox_own_new AFTER INSERT ON settlement_own_records
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION settlement_outbox_enqueue_rows('own');
CREATE TRIGGER settlement_outbox_own_version AFTER UPDATE OF cid ON settlement_own_records
    FOR EACH ROW EXECUTE FUNCTION settlement_outbox_enqueue_version('own');
CREATE TRIGGER settlement_outbox_payments AFTER UPDATE OF payment_cid ON settlement_contracts
    FOR EACH ROW EXECUTE FUNCTION settlement_outbox_enqueue_payment();
