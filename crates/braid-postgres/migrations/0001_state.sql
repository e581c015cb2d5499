-- braid state, first version. Values are serde_json text in bytea (see the crate docs).
-- Tables are unqualified: braid runs with search_path set to its schema.

CREATE TABLE cluster_settings (
    name text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE pipeline_cursor (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    position bigint NOT NULL
);
INSERT INTO pipeline_cursor (position) VALUES (0);

CREATE TABLE profiles (
    mpid bigint PRIMARY KEY,
    body bytea NOT NULL
);

-- The primary key is what makes two workers that see a new identity at once create one
-- profile: the second upsert of the same (kind, value) loses with a serialization failure.
CREATE TABLE identities (
    kind text COLLATE "C" NOT NULL,
    value text COLLATE "C" NOT NULL,
    mpid bigint NOT NULL,
    PRIMARY KEY (kind, value)
);
CREATE INDEX identities_by_mpid ON identities (mpid);

CREATE TABLE sent_state (
    mpid bigint PRIMARY KEY,
    body bytea NOT NULL
);

CREATE TABLE outbox (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lane integer NOT NULL,
    mpid bigint NOT NULL,
    body bytea NOT NULL
);
CREATE INDEX outbox_by_lane ON outbox (lane, seq);
CREATE INDEX outbox_by_mpid ON outbox (mpid);

CREATE TABLE dead_letters (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mpid bigint NOT NULL,
    body bytea NOT NULL
);
CREATE INDEX dead_letters_by_mpid ON dead_letters (mpid);

-- seq keeps events with equal timestamps in arrival order.
CREATE TABLE history (
    mpid bigint NOT NULL,
    ts_ms bigint NOT NULL,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    body bytea NOT NULL,
    PRIMARY KEY (mpid, ts_ms, seq)
);

CREATE TABLE rechecks (
    at_ms bigint NOT NULL,
    mpid bigint NOT NULL,
    PRIMARY KEY (at_ms, mpid)
);
CREATE INDEX rechecks_by_mpid ON rechecks (mpid);

CREATE TABLE event_ids (
    id text COLLATE "C" PRIMARY KEY,
    at_ms bigint NOT NULL
);
CREATE INDEX event_ids_by_age ON event_ids (at_ms, id);

-- "C" collation: keys list in byte order, as in the other backends.
CREATE TABLE meta (
    key text COLLATE "C" PRIMARY KEY,
    value bytea NOT NULL
);

-- Delivery nodes alive, for sharing out the outbox lanes.
CREATE TABLE nodes (
    node_id text PRIMARY KEY,
    seen_at timestamptz NOT NULL
);
