-- Schema version 1 of the coordinator's database.
--
-- Associations and events are stored as protobuf-encoded `crossbind.v1` messages (the
-- record columns), with the columns that are searched kept beside them.

CREATE TABLE associations (
    id              TEXT PRIMARY KEY,
    -- consumer account, workspace, provider account and cluster: one live association each.
    business_key    TEXT NOT NULL,
    -- the client's idempotency key, when it gave one.
    idempotency_key TEXT UNIQUE,
    state           INTEGER NOT NULL,
    -- crossbind.v1.Association
    record          BLOB NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE INDEX associations_by_business_key ON associations (business_key);

CREATE TABLE events (
    association_id TEXT NOT NULL REFERENCES associations (id),
    sequence       INTEGER NOT NULL,
    -- crossbind.v1.AssociationEvent
    record         BLOB NOT NULL,
    PRIMARY KEY (association_id, sequence)
);

-- Every call a step made to an agent, with its outcome.
CREATE TABLE attempts (
    association_id TEXT NOT NULL REFERENCES associations (id),
    step           TEXT NOT NULL,
    attempt        INTEGER NOT NULL,
    started_at     TEXT NOT NULL,
    finished_at    TEXT NOT NULL,
    -- "ok", "retry" or "failed"
    outcome        TEXT NOT NULL,
    -- the gRPC code name of a failure
    code           TEXT,
    -- the failure message; it quotes the cloud's Code and RequestId when the cloud refused
    message        TEXT,
    -- cloud RequestIds found in the answer, comma separated
    request_ids    TEXT
);

CREATE INDEX attempts_by_association ON attempts (association_id, step);

-- Append-only record of every change made in an account: who asked, what, where.
CREATE TABLE audit (
    sequence       INTEGER PRIMARY KEY AUTOINCREMENT,
    time           TEXT NOT NULL,
    client         TEXT NOT NULL,
    association_id TEXT NOT NULL,
    account_uid    TEXT NOT NULL,
    action         TEXT NOT NULL,
    detail         TEXT NOT NULL
);
