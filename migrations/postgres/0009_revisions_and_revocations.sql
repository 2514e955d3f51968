-- The newest repository revision (commit rev, a TID) seen per DID: a
-- proof from an older commit is refused, so a record deleted or edited
-- since cannot be proven from history.
CREATE TABLE settlement_repo_revs (
    did TEXT NOT NULL PRIMARY KEY,
    rev TEXT NOT NULL
);

-- When an authorization its requester deleted (proven absent at a newer
-- commit) was revoked: no charge is made against it any more.
ALTER TABLE settlement_authorizations ADD COLUMN revoked_at BIGINT;
