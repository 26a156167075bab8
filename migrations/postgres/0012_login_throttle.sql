-- Sign-in throttle (auth::login): one row per key ("acct:<name>", "pair:<name>|<address>",
-- "ip:<address>"), reserved by one upsert before any password is checked, so parallel
-- attempts and several server instances cannot slip past the count. Replaces the
-- per-failure rows of login_failures, whose count-then-insert raced.
CREATE TABLE login_throttle (
    scope_key TEXT PRIMARY KEY,
    attempts BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    delay_ms BIGINT NOT NULL
);

-- Addresses an account has signed in from: the owner coming back from one of them is not
-- held up by an attacker's failures elsewhere.
CREATE TABLE login_known_addresses (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, address)
);

DROP TABLE login_failures;
