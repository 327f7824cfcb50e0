-- Foundation schema: groups, users, roles, memberships, sessions, outbox, audit log, seen inbound ids.
-- Times are ISO-8601 UTC text. Keep to standard SQL where possible (a PostgreSQL backend will follow).

CREATE TABLE pos_groups (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    sector          TEXT NOT NULL CHECK (sector IN ('nelayan', 'sawit', 'lainnya')),
    village         TEXT NOT NULL,
    district        TEXT NOT NULL,
    regency         TEXT NOT NULL,
    puskesmas_name  TEXT NOT NULL,
    puskesmas_phone TEXT,
    timezone        TEXT NOT NULL,
    join_code       TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL
);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL,
    platform_id     TEXT NOT NULL,
    name            TEXT NOT NULL,
    phone           TEXT,
    language        TEXT NOT NULL CHECK (language IN ('id', 'en')),
    consent_version TEXT NOT NULL,
    consent_at      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL,
    UNIQUE (channel, platform_id)
);

CREATE TABLE memberships (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id  INTEGER NOT NULL REFERENCES pos_groups (id),
    joined_at TEXT NOT NULL,
    left_at   TEXT
);
CREATE UNIQUE INDEX memberships_one_active ON memberships (user_id) WHERE left_at IS NULL;
CREATE INDEX memberships_group ON memberships (group_id) WHERE left_at IS NULL;

CREATE TABLE role_grants (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('kader', 'officer', 'admin')),
    group_id   INTEGER REFERENCES pos_groups (id),
    regency    TEXT,
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    revoked_at TEXT,
    CHECK (
        (role = 'kader' AND group_id IS NOT NULL AND regency IS NULL)
        OR (role = 'officer' AND (group_id IS NULL) <> (regency IS NULL))
        OR (role = 'admin' AND group_id IS NULL AND regency IS NULL)
    )
);
CREATE INDEX role_grants_user ON role_grants (user_id) WHERE revoked_at IS NULL;

-- One conversation per person and channel, keyed by platform id so that someone who has not
-- consented yet has no users row at all.
CREATE TABLE sessions (
    channel     TEXT NOT NULL,
    platform_id TEXT NOT NULL,
    flow        TEXT NOT NULL,
    step        TEXT NOT NULL,
    language    TEXT NOT NULL,
    draft       TEXT NOT NULL,
    offered     TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (channel, platform_id)
);

-- Platform message ids already handled (webhooks are delivered at least once). No user reference.
CREATE TABLE inbound_seen (
    channel    TEXT NOT NULL,
    message_id TEXT NOT NULL,
    seen_at    TEXT NOT NULL,
    PRIMARY KEY (channel, message_id)
);

CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    dedupe_key    TEXT NOT NULL UNIQUE,
    urgent        INTEGER NOT NULL DEFAULT 0,
    not_before    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sent', 'failed', 'unreachable')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    claimed_until TEXT,
    sent_at       TEXT,
    last_error    TEXT
);
CREATE INDEX outbox_due ON outbox (status, not_before);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT '{}'
);
