-- Satchel schema 12: push subscriptions join the directory (schema 8). The push dispatcher
-- looks up the subscriptions of an account on every commit to it; with this, a process
-- remembers that lookup until a subscription is created, changed or destroyed, instead of
-- reading it for every flag change that lands (and almost always finding none).

CREATE TRIGGER IF NOT EXISTS directory_push_subscription_created
AFTER INSERT ON push_subscriptions
BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS directory_push_subscription_updated
AFTER UPDATE ON push_subscriptions
BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER IF NOT EXISTS directory_push_subscription_deleted
AFTER DELETE ON push_subscriptions
BEGIN
    UPDATE directory_version SET version = version + 1;
END;
