-- Incident reports (injuries and near misses) with the fields the ILO code of practice and the
-- 1998 ICLS resolution ask for, stored as codes plus the reporter's own words; and the timeline
-- of what kader and officers did about each.
CREATE TABLE incidents (
    id                INTEGER PRIMARY KEY,
    reference         TEXT UNIQUE,
    group_id          INTEGER REFERENCES pos_groups (id),
    reporter_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('injury', 'near_miss')),
    victim            TEXT NOT NULL CHECK (victim IN ('self', 'other', 'none')),
    victim_name       TEXT,
    victim_sex        TEXT CHECK (victim_sex IN ('L', 'P')),
    victim_age        INTEGER CHECK (victim_age BETWEEN 5 AND 110),
    employment        TEXT,
    occupation        TEXT NOT NULL,
    topic_id          TEXT,
    injury_type       TEXT,
    material_agent    TEXT,
    what_text         TEXT NOT NULL DEFAULT '',
    body_part         TEXT,
    occurred_on       TEXT NOT NULL,
    occurred_time     TEXT,
    place_text        TEXT NOT NULL DEFAULT '',
    latitude          REAL,
    longitude         REAL,
    activity          TEXT NOT NULL,
    activity_text     TEXT NOT NULL DEFAULT '',
    commuting         INTEGER NOT NULL DEFAULT 0,
    danger_signs      INTEGER NOT NULL DEFAULT 0,
    first_aid_given   TEXT NOT NULL DEFAULT '',
    stopped_work      INTEGER,
    photo_ref         TEXT,
    severe            INTEGER NOT NULL DEFAULT 0,
    status            TEXT NOT NULL DEFAULT 'open'
                      CHECK (status IN ('open', 'contacted', 'treated', 'referred', 'closed')),
    outcome           TEXT CHECK (outcome IN ('on_site', 'puskesmas', 'hospital', 'died')),
    days_lost         INTEGER CHECK (days_lost BETWEEN 0 AND 366),
    created_at        TEXT NOT NULL,
    first_action_at   TEXT,
    escalated_at      TEXT,
    closed_at         TEXT
);
CREATE INDEX incidents_group ON incidents (group_id, created_at);
CREATE INDEX incidents_unattended ON incidents (created_at) WHERE first_action_at IS NULL;

CREATE TABLE incident_events (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    actor_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, id);
