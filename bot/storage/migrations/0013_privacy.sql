-- Privacy (UU 27/2022): the consent text each person agreed to, erasure on request, anonymous
-- reports, and anonymisation of old reports after the retention period.

-- Every consent text ever shown, by version and language, so `users.consent_version` can be read
-- back as the exact words the person agreed to.
CREATE TABLE consent_texts (
    version       TEXT NOT NULL,
    language      TEXT NOT NULL,
    text          TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (version, language)
);
ALTER TABLE users ADD COLUMN consent_language TEXT;

-- An erased person keeps an empty row (no name, phone or chat id) so that counts of members,
-- attendance and reports stay right; nothing can reach or identify them any more.
ALTER TABLE users ADD COLUMN erased_at TEXT;

-- A reporter who asked not to be named to the kader; officers still see the name.
ALTER TABLE incidents ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0;
-- When the names, free text, place and photo of a report were removed (erasure or retention).
ALTER TABLE incidents ADD COLUMN anonymised_at TEXT;
CREATE INDEX incidents_identifiable ON incidents (created_at) WHERE anonymised_at IS NULL;
