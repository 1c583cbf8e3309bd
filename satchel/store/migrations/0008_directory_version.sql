-- Satchel schema 8: a version number for the directory (users, tokens and who owns which
-- account), moved by triggers on every change to it. Every request looks up its user and
-- accounts; a process remembers those lookups while this number stands still, so the commits
-- of mail flowing in (which move SQLite's data_version all the time) no longer make every
-- request read them again. Account modseqs are not directory data: they do not move it.

CREATE TABLE IF NOT EXISTS directory_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT OR IGNORE INTO directory_version (id, version) VALUES (1, 0);

CREATE TRIGGER IF NOT EXISTS directory_user_created AFTER INSERT ON users
BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS directory_user_updated AFTER UPDATE ON users
BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS directory_user_deleted AFTER DELETE ON users
BEGIN
    UPDATE directory_version SET version = version + 1;
END;

CREATE TRIGGER IF NOT EXISTS directory_token_created AFTER INSERT ON tokens
BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS directory_token_updated AFTER UPDATE ON tokens
BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS directory_token_deleted AFTER DELETE ON tokens
BEGIN
    UPDATE directory_version SET version = version + 1;
END;

CREATE TRIGGER IF NOT EXISTS directory_account_created AFTER INSERT ON accounts
BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS directory_account_updated
AFTER UPDATE OF id, name, owner_user_id, is_personal, is_read_only ON accounts
BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS directory_account_deleted AFTER DELETE ON accounts
BEGIN
    UPDATE directory_version SET version = version + 1;
END;
