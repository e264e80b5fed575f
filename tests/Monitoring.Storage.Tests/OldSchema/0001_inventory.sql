-- The inventory as loaded from device-profiles/: what the room files said at each start.
-- Rows are never deleted when a device disappears from the files: removed_at is set, history stays attached.
CREATE TABLE rooms (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_en     TEXT,
    site        TEXT,
    source      TEXT NOT NULL,
    loaded_at   TEXT NOT NULL,
    removed_at  TEXT
);

CREATE TABLE racks (
    id          TEXT PRIMARY KEY,
    room_id     TEXT NOT NULL REFERENCES rooms(id),
    row_id      TEXT NOT NULL,
    name        TEXT NOT NULL,
    height_u    INTEGER NOT NULL,
    removed_at  TEXT
);

CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    room_id     TEXT NOT NULL REFERENCES rooms(id),
    name        TEXT NOT NULL,
    model       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    rack_id     TEXT,
    u           INTEGER,
    address     TEXT,
    asset_tag   TEXT,
    profile     TEXT,
    source      TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    loaded_at   TEXT NOT NULL,
    removed_at  TEXT
);

CREATE INDEX devices_room ON devices(room_id);
CREATE INDEX devices_asset_tag ON devices(asset_tag);
