-- The web console: operators' sessions, and settlement volume per hour
-- kept as settlements are written, so the charts read a few hundred rows
-- at any history (a GROUP BY over every settlement would read them all).

-- No settlement may be written between the rollup's first fill below and
-- its trigger (replicas share the database): writers wait for this
-- migration's transaction.
LOCK TABLE settlement_settlements IN SHARE ROW EXCLUSIVE MODE;

-- A session is known by the SHA-256 of its cookie's secret: a read of
-- this table does not yield a cookie that signs in.
CREATE TABLE console_sessions (
    id_hash    TEXT   NOT NULL PRIMARY KEY,
    csrf       TEXT   NOT NULL,
    -- A fingerprint of the admin token the session was opened with: a
    -- new token (or none) ends every session opened with the old one.
    operator   TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);

-- The operator's list of open disputes, by id.
CREATE INDEX settlement_disputes_open_by_id ON settlement_disputes (id) WHERE status = 'open';

-- hour: created_at (microseconds) / 3 600 000 000.
CREATE TABLE settlement_volume_hourly (
    currency     TEXT   NOT NULL,
    hour         BIGINT NOT NULL,
    settlements  BIGINT NOT NULL CHECK (settlements >= 0),
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    fee_minor    BIGINT NOT NULL CHECK (fee_minor >= 0),
    PRIMARY KEY (currency, hour)
);

INSERT INTO settlement_volume_hourly (currency, hour, settlements, amount_minor, fee_minor)
    SELECT currency, created_at / 3600000000, count(*), sum(amount_minor)::BIGINT, sum(fee_minor)::BIGINT
    FROM settlement_settlements GROUP BY currency, created_at / 3600000000;

-- One statement-level trigger: a group of charges written in one INSERT
-- adds to each hour once. The hour's row is locked until the charge's
-- transaction commits, as the exchange's fee account already is.
CREATE FUNCTION settlement_volume_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO settlement_volume_hourly (currency, hour, settlements, amount_minor, fee_minor)
        SELECT currency, created_at / 3600000000, count(*), sum(amount_minor)::BIGINT, sum(fee_minor)::BIGINT
        FROM new_rows GROUP BY currency, created_at / 3600000000
        ORDER BY 1, 2
        ON CONFLICT (currency, hour) DO UPDATE SET
            settlements = settlement_volume_hourly.settlements + excluded.settlements,
            amount_minor = settlement_volume_hourly.amount_minor + excluded.amount_minor,
            fee_minor = settlement_volume_hourly.fee_minor + excluded.fee_minor;
    RETURN NULL;
END;
$$;

CREATE TRIGGER settlement_volume_on_insert AFTER INSERT ON settlement_settlements
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION settlement_volume_add();
