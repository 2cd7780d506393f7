"""The store's tables, and the migrations that build them from the first release on.

Times are stored as ``TIMESTAMP`` in UTC (naive); ``day`` is the local date of the deployment's time
zone. The reads table is appended in (day, plate, ts) order, the layout measured best for every query
(architecture notes): DuckDB's zone maps then prune by day and time, and one plate's reads sit together.
Analytics must put time bounds into queries as literals so that pruning works.
"""

from __future__ import annotations

import duckdb

#: Each migration is (version, statements). Never edit a released migration: add a new one.
MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """
            CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)
            """,
            """
            CREATE SEQUENCE batch_seq START 1
            """,
            """
            CREATE TABLE import_batches (
                batch_id     INTEGER PRIMARY KEY,
                kind         VARCHAR NOT NULL,
                file         VARCHAR NOT NULL,
                file_format  VARCHAR NOT NULL,   -- csv | parquet | geojson
                encoding     VARCHAR,
                sha256       VARCHAR,
                user_name    VARCHAR,
                started_at   TIMESTAMP NOT NULL,
                finished_at  TIMESTAMP,
                rows_total   BIGINT NOT NULL DEFAULT 0,
                accepted     BIGINT NOT NULL DEFAULT 0,
                set_aside    BIGINT NOT NULL DEFAULT 0,
                already_stored BIGINT NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE set_aside (
                batch_id  INTEGER NOT NULL,
                kind      VARCHAR NOT NULL,
                row_number BIGINT NOT NULL,      -- 1-based data row in the file (CSV line = row_number + 1)
                reason    VARCHAR NOT NULL,
                row_json  VARCHAR NOT NULL       -- the row as it arrived, every column as text
            )
            """,
            """
            CREATE TABLE cameras (
                camera_id VARCHAR PRIMARY KEY,
                lon       DOUBLE NOT NULL,
                lat       DOUBLE NOT NULL,
                kind      VARCHAR NOT NULL DEFAULT 'anpr',   -- anpr | face | hd | gate
                name      VARCHAR,
                direction VARCHAR,
                road      VARCHAR,
                extra     JSON,
                batch_id  INTEGER
            )
            """,
            """
            CREATE TABLE reads (
                read_id      VARCHAR,            -- as given by the source system, NULL when not given
                camera_id    VARCHAR NOT NULL,
                ts           TIMESTAMP NOT NULL, -- UTC
                day          DATE NOT NULL,      -- local date (deployment time zone)
                plate        VARCHAR NOT NULL,   -- normalised (pingan.plates.normalise)
                plate_raw    VARCHAR NOT NULL,   -- exactly as the camera read it
                plate_valid  BOOLEAN NOT NULL,   -- follows the civil-plate grammar
                confidence   DOUBLE,
                plate_color  VARCHAR,
                vehicle_type VARCHAR,
                lane         VARCHAR,
                batch_id     INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE watchlist (
                list        VARCHAR NOT NULL,    -- priors | stolen | wanted | ...
                plate       VARCHAR NOT NULL,    -- normalised
                plate_raw   VARCHAR NOT NULL,
                person_id   VARCHAR NOT NULL,    -- pseudonymous
                categories  VARCHAR[] NOT NULL,
                valid_until TIMESTAMP,           -- UTC
                note        VARCHAR,
                extra       JSON,
                batch_id    INTEGER,
                PRIMARY KEY (list, plate, person_id)
            )
            """,
            """
            CREATE TABLE cases (
                case_id     VARCHAR PRIMARY KEY,
                category    VARCHAR NOT NULL,
                lon         DOUBLE NOT NULL,
                lat         DOUBLE NOT NULL,
                start_ts    TIMESTAMP NOT NULL,  -- UTC; the window in which the offence happened
                end_ts      TIMESTAMP NOT NULL,
                description VARCHAR,
                status      VARCHAR,
                reported_at TIMESTAMP,
                solved_at   TIMESTAMP,
                extra       JSON,
                batch_id    INTEGER
            )
            """,
            """
            CREATE TABLE grids (
                grid_id    VARCHAR PRIMARY KEY,
                level      VARCHAR NOT NULL,     -- police | governance
                name       VARCHAR,
                parent_id  VARCHAR,
                officer_id VARCHAR,
                population BIGINT,
                geometry   BLOB NOT NULL,        -- WKB, WGS 84
                min_lon DOUBLE NOT NULL, min_lat DOUBLE NOT NULL,
                max_lon DOUBLE NOT NULL, max_lat DOUBLE NOT NULL,
                properties JSON,
                batch_id   INTEGER
            )
            """,
            """
            CREATE TABLE officers (
                officer_id VARCHAR PRIMARY KEY,
                name       VARCHAR NOT NULL,
                grid_ids   VARCHAR[],
                phone      VARCHAR,
                extra      JSON,
                batch_id   INTEGER
            )
            """,
            """
            CREATE TABLE disputes (
                dispute_id VARCHAR PRIMARY KEY,
                lon        DOUBLE NOT NULL,
                lat        DOUBLE NOT NULL,
                level      VARCHAR NOT NULL,     -- low | medium | high
                status     VARCHAR NOT NULL,     -- open | mediating | resolved | escalated
                opened_at  TIMESTAMP NOT NULL,   -- UTC
                closed_at  TIMESTAMP,
                category   VARCHAR,
                parties    VARCHAR[],            -- pseudonymous party ids
                description VARCHAR,
                grid_id    VARCHAR,
                extra      JSON,
                batch_id   INTEGER
            )
            """,
            """
            CREATE TABLE audit_log (
                seq        BIGINT PRIMARY KEY,
                at_utc     TIMESTAMP NOT NULL,   -- UTC, millisecond precision
                user_name  VARCHAR NOT NULL,
                role       VARCHAR,
                action     VARCHAR NOT NULL,     -- collection | consultation | disclosure | combination | alteration | erasure | login | permission
                operation  VARCHAR NOT NULL,     -- e.g. import.reads, anpr.suspects
                purpose    VARCHAR,
                params     JSON,
                outcome    VARCHAR NOT NULL,     -- ok | refused | failed
                touched    BIGINT NOT NULL DEFAULT 0,
                prev_hash  VARCHAR NOT NULL,
                hash       VARCHAR NOT NULL
            )
            """,
        ],
    ),
]

# Grids (issue 5): grading runs and their per-grid history, and each dispute's status history.
# grid_grades keeps one row per police grid per grading, changed or not: hysteresis reads the runs of
# consecutive gradings back from it. Re-grading the same as_of replaces that grading's rows.
MIGRATIONS.append(
    (
        2,
        [
            """
            CREATE TABLE grid_gradings (
                as_of            TIMESTAMP PRIMARY KEY,  -- UTC; cases before this instant count
                graded_at        TIMESTAMP NOT NULL,     -- UTC, when the grading ran
                user_name        VARCHAR,
                policy           JSON NOT NULL,          -- the GradingPolicy used, in full
                red_threshold    DOUBLE,                 -- score a grid needed to qualify for red
                yellow_threshold DOUBLE,
                grids            INTEGER NOT NULL,
                red              INTEGER NOT NULL,
                yellow           INTEGER NOT NULL,
                green            INTEGER NOT NULL,
                changed          INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE grid_grades (
                grid_id         VARCHAR NOT NULL,        -- a police grid
                as_of           TIMESTAMP NOT NULL,      -- UTC, the grading it belongs to
                colour          VARCHAR NOT NULL,        -- red | yellow | green, after hysteresis
                score           DOUBLE NOT NULL,
                components      JSON NOT NULL,           -- each part of the score, with its inputs
                previous_colour VARCHAR,                 -- NULL on a grid's first grading
                raw_colour      VARCHAR NOT NULL,        -- the colour the score alone qualifies for
                hold_colour     VARCHAR NOT NULL,        -- the highest colour the score holds (thresholds less the margin)
                changed         BOOLEAN NOT NULL,
                reasons         VARCHAR[] NOT NULL,      -- plain words: what moved or held it
                PRIMARY KEY (grid_id, as_of)
            )
            """,
            """
            CREATE TABLE dispute_events (
                dispute_id  VARCHAR NOT NULL,
                seq         INTEGER NOT NULL,            -- 1 = registration
                at_utc      TIMESTAMP NOT NULL,          -- when the status changed (UTC)
                from_status VARCHAR,                     -- NULL for the registration
                to_status   VARCHAR NOT NULL,
                note        VARCHAR,
                user_name   VARCHAR,
                recorded_at TIMESTAMP NOT NULL,          -- UTC, when it was written down
                PRIMARY KEY (dispute_id, seq)
            )
            """,
            """
            CREATE SEQUENCE dispute_seq START 1
            """,
        ],
    )
)

# Governance: users, sessions, login attempts, retention holds, supervisor authorisations.
MIGRATIONS.append(
    (
        3,
        [
            """
            CREATE TABLE users (
                user_name     VARCHAR PRIMARY KEY,
                role          VARCHAR NOT NULL,
                password_hash VARCHAR NOT NULL,   -- scrypt$n$r$p$salt$hash
                created_at    TIMESTAMP NOT NULL,
                disabled      BOOLEAN NOT NULL DEFAULT false
            )
            """,
            """
            CREATE TABLE sessions (
                token_hash VARCHAR PRIMARY KEY,   -- SHA-256 of the token; the token itself is never stored
                user_name  VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL,
                last_seen  TIMESTAMP NOT NULL
            )
            """,
            """
            CREATE TABLE login_attempts (user_name VARCHAR NOT NULL, at_utc TIMESTAMP NOT NULL, ok BOOLEAN NOT NULL)
            """,
            """
            CREATE TABLE case_holds (
                case_id VARCHAR PRIMARY KEY, held_by VARCHAR NOT NULL, reason VARCHAR NOT NULL, at_utc TIMESTAMP NOT NULL
            )
            """,
            """
            CREATE TABLE authorisations (
                ref VARCHAR PRIMARY KEY, supervisor VARCHAR NOT NULL, purpose VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL, valid_until TIMESTAMP NOT NULL
            )
            """,
        ],
    )
)

MIGRATIONS.sort(key=lambda m: m[0])
SCHEMA_VERSION = MIGRATIONS[-1][0]


def applied_versions(con: duckdb.DuckDBPyConnection) -> set[int]:
    """The migrations already applied to an open store (empty for an empty database)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchone()
    if not exists or not exists[0]:
        return set()
    rows = con.execute("SELECT key FROM meta WHERE key LIKE 'migration:%'").fetchall()
    return {int(key.split(":", 1)[1]) for (key,) in rows}


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to an open store (0 for an empty database)."""
    return max(applied_versions(con), default=0)


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration the store has not had yet, each in its own transaction.

    Migrations are tracked one by one, so one added later with a lower number is still applied.
    """
    applied = applied_versions(con)
    for target, statements in MIGRATIONS:
        if target in applied:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in statements:
                con.execute(statement)
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, 'applied')", [f"migration:{target}"])
            con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                        [str(max(applied | {target}))])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.add(target)
    return max(applied, default=0)
