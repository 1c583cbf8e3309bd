-- Satchel schema 5: the outbound queue (EmailSubmission, vacation replies, DSNs; issue 4).
-- One row per message to send, one per recipient. The bytes live in the row: a queued message
-- must survive its Email being destroyed (RFC 8621 section 7.5) and is not account data.
-- A worker claims a message by setting a lease (lease_owner, lease_until) in a write
-- transaction, so several processes never work on the same message at once.

CREATE TABLE outbound_messages (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,          -- the sender's account, '' when none (auto-replies)
    submission_id TEXT,                -- the EmailSubmission in account_id, if any
    mail_from TEXT NOT NULL,           -- '' is the null reverse-path
    mail_params TEXT NOT NULL DEFAULT '[]', -- JSON list of MAIL parameters kept (ENVID, RET)
    message_id TEXT,                   -- the Message-ID field, to match DSNs and MDNs
    raw BLOB NOT NULL,                 -- emptied once every recipient is done
    created_at REAL NOT NULL,
    send_at REAL NOT NULL,
    next_attempt_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until REAL NOT NULL DEFAULT 0,
    state TEXT NOT NULL                -- 'queued' | 'done' | 'canceled'
);
CREATE INDEX outbound_due ON outbound_messages (state, next_attempt_at);
CREATE INDEX outbound_by_submission ON outbound_messages (account_id, submission_id);
CREATE INDEX outbound_by_message_id ON outbound_messages (account_id, message_id);

CREATE TABLE outbound_recipients (
    message_id TEXT NOT NULL,
    address TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '[]', -- JSON list of RCPT parameters ("NAME=VALUE" / "NAME")
    state TEXT NOT NULL,               -- 'queued' | 'delivered' | 'relayed' | 'failed'
    reply TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL,
    PRIMARY KEY (message_id, address)
) WITHOUT ROWID;

CREATE TRIGGER outbound_recipients_follow AFTER DELETE ON outbound_messages
BEGIN
    DELETE FROM outbound_recipients WHERE message_id = OLD.id;
END;
