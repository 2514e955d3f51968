-- The web console: operators' sessions, and settlement volume per hour
-- kept as settlements are written, so the charts read a few hundred rows
-- at any history (a GROUP BY over every settlement would read them all).

-- A session is known by the SHA-256 of its cookie's secret: a read of
-- this table does not yield a cookie that signs in.
CREATE TABLE console_sessions (
    id_hash    TEXT    NOT NULL PRIMARY KEY,
    csrf       TEXT    NOT NULL,
    -- A fingerprint of the admin token the session was opened with: a
    -- new token (or none) ends every session opened with the old one.
    operator   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);

-- The operator's list of open disputes, by id.
CREATE INDEX settlement_disputes_open_by_id ON settlement_disputes (id) WHERE status = 'open';

-- hour: created_at (microseconds) / 3 600 000 000.
CREATE TABLE settlement_volume_hourly (
    currency     TEXT    NOT NULL,
    hour         INTEGER NOT NULL,
    settlements  INTEGER NOT NULL CHECK (settlements >= 0),
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
    fee_minor    INTEGER NOT NULL CHECK (fee_minor >= 0),
    PRIMARY KEY (currency, hour)
) STRICT;

INSERT INTO settlement_volume_hourly (currency, hour, settlements, amount_minor, fee_minor)
    SELECT currency, created_at / 3600000000, count(*), sum(amount_minor), sum(fee_minor)
    FROM settlement_settlements GROUP BY currency, created_at / 3600000000;

-- A settlement's amount and fee never change once written.
CREATE TRIGGER settlement_volume_on_insert AFTER INSERT ON settlement_settlements
BEGIN
    INSERT INTO settlement_volume_hourly (currency, hour, settlements, amount_minor, fee_minor)
        VALUES (NEW.currency, NEW.created_at / 3600000000, 1, NEW.amount_minor, NEW.fee_minor)
        ON CONFLICT (currency, hour) DO UPDATE SET
            settlements = settlements + 1,
            amount_minor = amount_minor + excluded.amount_minor,
            fee_minor = fee_minor + excluded.fee_minor;
END;
