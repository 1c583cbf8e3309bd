-- Satchel schema 1: users, accounts, tokens, JMAP records with change tracking, blob rows.
-- State tracking follows the jmapio server guide (specs/server-guide): one modseq counter per
-- account, created/updated modseqs on every record, tombstones for destroyed records, and a
-- high/low modseq per (account, type).

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE, -- login names ignore ASCII case
    password_hash TEXT NOT NULL,
    email         TEXT
);

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    owner_user_id TEXT NOT NULL,
    is_personal   INTEGER NOT NULL DEFAULT 1,
    is_read_only  INTEGER NOT NULL DEFAULT 0,
    modseq        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX accounts_by_owner ON accounts (owner_user_id);

CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX tokens_by_user ON tokens (user_id);

-- One row per JMAP object ever created. A destroyed object keeps its row as a tombstone
-- (data NULL, destroyed_modseq set, updated_modseq = destroyed_modseq) until purged.
-- `data` comes last so change scans never read the (possibly overflowing) JSON payload.
CREATE TABLE records (
    account_id       TEXT NOT NULL,
    type             TEXT NOT NULL,
    id               TEXT NOT NULL,
    created_modseq   INTEGER NOT NULL,
    updated_modseq   INTEGER NOT NULL,
    destroyed_modseq INTEGER,
    data             BLOB
);
CREATE UNIQUE INDEX records_by_id ON records (account_id, type, id);
CREATE INDEX records_by_change ON records (account_id, type, updated_modseq);

-- high: the type's state (modseq of its last change); low: tombstones purged below it.
CREATE TABLE type_states (
    account_id TEXT NOT NULL,
    type       TEXT NOT NULL,
    high       INTEGER NOT NULL,
    low        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, type)
) WITHOUT ROWID;

-- A blob as one account sees it; the bytes live once in the content-addressed file store.
CREATE TABLE blobs (
    account_id  TEXT NOT NULL,
    blob_id     TEXT NOT NULL,
    size        INTEGER NOT NULL,
    type        TEXT NOT NULL,
    refcount    INTEGER NOT NULL DEFAULT 0,
    uploaded_at REAL NOT NULL,
    expires_at  REAL,
    PRIMARY KEY (account_id, blob_id)
) WITHOUT ROWID;
CREATE INDEX blobs_by_id ON blobs (blob_id);
CREATE INDEX blobs_expiring ON blobs (expires_at) WHERE refcount = 0 AND expires_at IS NOT NULL;
