"""The kinds of file pingan imports (contract section 1, plus officers and disputes for grids), declared.

Decisions, per kind:

* A row whose natural key is already stored with the same values is *already stored* (re-importing a
  file stores nothing twice). The same key with other values is *set aside* ("camera_id 'C1' is already
  stored with other values (lon, lat)"): an import never overwrites what is stored, and a correction is a
  deliberate act, not a side effect of loading a file again.
* Reads are the exception: a read with a ``read_id`` already stored is already stored, whatever its other
  values; a read without one is already stored when a read with the same camera, time and raw plate is.
* Plates are normalised (:mod:`pingan.plates`); a plate that does not follow the civil-plate grammar is
  flagged (``plate_valid``), never set aside — foreign, military and misread plates are evidence too.
"""

from __future__ import annotations

from typing import Any

from pingan.store.importers.spec import Column, Key, KindSpec, Rule, literal

_LON_LAT = Rule(
    "coordinates out of range",
    "NOT (lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90)",
    "'lon ' || lon || ', lat ' || lat || ' is not a WGS 84 longitude/latitude'",
)


def _one_of(column: str, values: tuple[str, ...], reason: str) -> Rule:
    allowed = ", ".join(literal(v) for v in values)
    return Rule(reason, f"{column} IS NOT NULL AND {column} NOT IN ({allowed})",
                f"'{column} ' || {column} || ' is not one of {', '.join(values)}'")


def _utc(column: str) -> str:
    """Stored form of a time: naive UTC (see :mod:`pingan.store.importers.clock`)."""
    return f"_pa_utc({column})"


CAMERA_KINDS = ("anpr", "face", "hd", "gate")

CAMERAS = KindSpec(
    kind="cameras",
    table="cameras",
    description="cameras: camera_id (unique), lon, lat; optional kind, name, direction, road",
    columns=(
        Column("camera_id", required=True),
        Column("lon", "double", required=True),
        Column("lat", "double", required=True),
        Column("kind", "lower"),
        Column("name"),
        Column("direction"),
        Column("road"),
    ),
    rules=(_LON_LAT, _one_of("kind", CAMERA_KINDS, "unknown camera kind")),
    stored={
        "camera_id": "camera_id", "lon": "lon", "lat": "lat", "kind": "coalesce(kind, 'anpr')",
        "name": "name", "direction": "direction", "road": "road", "extra": "_pa_extra",
    },
    keys=(Key(("camera_id",)),),
)

READS = KindSpec(
    kind="reads",
    table="reads",
    description="reads: camera_id, ts, plate; optional confidence, read_id, plate_color, vehicle_type, lane",
    columns=(
        Column("camera_id", required=True),
        Column("ts", "time", required=True),
        Column("plate", "plate", required=True),
        Column("confidence", "double"),
        Column("read_id"),
        Column("plate_color", trim=False),
        Column("vehicle_type", trim=False),
        Column("lane", trim=False),
    ),
    joins=("LEFT JOIN (SELECT camera_id AS _pa_camera FROM cameras) _pa_cam ON _pa_cam._pa_camera = camera_id",),
    rules=(
        Rule("unknown camera", "_pa_camera IS NULL",
             "'camera_id ' || camera_id || ' is not a stored camera; import it with the cameras first'"),
        Rule("confidence outside 0..1", "NOT (confidence BETWEEN 0 AND 1)", "'confidence ' || confidence"),
    ),
    stored={
        "read_id": "read_id", "camera_id": "camera_id", "ts": _utc("ts"), "day": "_pa_local_date(ts)",
        "plate": "plate", "plate_raw": "plate_raw", "plate_valid": "plate_valid", "confidence": "confidence",
        "plate_color": "plate_color", "vehicle_type": "vehicle_type", "lane": "lane",
    },
    helpers={"_pa_prank": "_pa_plate_rank"},
    keys=(
        Key(("read_id",), when="read_id IS NOT NULL", prune=("read_id",)),
        Key(("camera_id", "ts", "plate_raw"), when="read_id IS NULL", prune=("ts",)),
    ),
    on_stored="skip",
    # The layout measured best for every query (architecture notes): day, then plate, then time.
    order_by=("day", "_pa_prank", "ts"),
    extra="ignore",
)

WATCHLIST = KindSpec(
    kind="watchlist",
    table="watchlist",
    description="watchlist: plate, person_id, categories (';'-separated); optional list, valid_until, note",
    columns=(
        Column("plate", "plate", required=True),
        Column("person_id", required=True),
        Column("categories", "list", required=True),
        Column("list"),
        Column("valid_until", "time"),
        Column("note"),
    ),
    stored={
        "list": "coalesce(\"list\", 'priors')", "plate": "plate", "plate_raw": "plate_raw", "person_id": "person_id",
        "categories": "categories", "valid_until": _utc("valid_until"), "note": "note", "extra": "_pa_extra",
    },
    keys=(Key(("list", "plate", "person_id")),),
)

CASES = KindSpec(
    kind="cases",
    table="cases",
    description="cases: case_id, category, lon, lat, start, end; optional description, status, reported_at, solved_at",
    columns=(
        Column("case_id", required=True),
        Column("category", required=True),
        Column("lon", "double", required=True),
        Column("lat", "double", required=True),
        Column("start", "time", required=True),
        Column("end", "time", required=True),
        Column("description"),
        Column("status"),
        Column("reported_at", "time"),
        Column("solved_at", "time"),
    ),
    rules=(
        _LON_LAT,
        Rule("end before start", '"end" < "start"',
             "'end ' || CAST(\"end\" AS VARCHAR) || ' is before start ' || CAST(\"start\" AS VARCHAR)"),
    ),
    stored={
        "case_id": "case_id", "category": "category", "lon": "lon", "lat": "lat", "start_ts": _utc('"start"'),
        "end_ts": _utc('"end"'), "description": "description", "status": "status",
        "reported_at": _utc("reported_at"), "solved_at": _utc("solved_at"), "extra": "_pa_extra",
    },
    keys=(Key(("case_id",)),),
)

OFFICERS = KindSpec(
    kind="officers",
    table="officers",
    description="officers: officer_id, name; optional grid_ids (';'-separated), phone",
    columns=(
        Column("officer_id", required=True),
        Column("name", required=True),
        Column("grid_ids", "list"),
        Column("phone"),
    ),
    stored={"officer_id": "officer_id", "name": "name", "grid_ids": "grid_ids", "phone": "phone",
            "extra": "_pa_extra"},
    keys=(Key(("officer_id",)),),
)

# The same checks as pingan.grids.disputes (check_level, check_status, check_party); a test holds them equal.
DISPUTE_LEVELS = ("low", "medium", "high")
DISPUTE_STATUSES = ("open", "mediating", "resolved", "escalated")
PARTY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.:#\-]{0,63}"
PHONE_PATTERN = r"(\+?86)?1\d{10}"
ID_CARD_PATTERN = r"\d{17}[\dXx]|\d{15}"
_NOT_PSEUDONYM = (f"NOT regexp_full_match(x, {literal(PARTY_PATTERN)}) "
                  f"OR regexp_full_match(x, {literal(PHONE_PATTERN)}) "
                  f"OR regexp_full_match(x, {literal(ID_CARD_PATTERN)})")


def _dispute_events(con: Any, checked: str, batch_id: int, context: dict[str, Any]) -> None:
    """Each accepted dispute's history: registered open at opened_at, then its status at the status time."""
    note = literal(f"imported from {context['file_name']} (batch {batch_id})")
    user = literal(context["user"]) if context.get("user") else "NULL"
    con.execute(f"""
        INSERT INTO dispute_events (dispute_id, seq, at_utc, from_status, to_status, note, user_name, recorded_at)
        SELECT dispute_id, 1, opened_at, NULL, 'open', {note}, {user}, timezone('UTC', now()) FROM {checked}
        WHERE _pa_code IS NULL
        UNION ALL
        SELECT dispute_id, 2, _pa_status_at, 'open', status, {note}, {user}, timezone('UTC', now()) FROM {checked}
        WHERE _pa_code IS NULL AND status <> 'open'
    """)


DISPUTES = KindSpec(
    kind="disputes",
    table="disputes",
    description=("disputes: dispute_id, lon, lat, level, opened_at; optional status (open by default), closed_at "
                 "(or status_at), category, parties (';'-separated pseudonymous ids), description, grid_id"),
    columns=(
        Column("dispute_id", required=True),
        Column("lon", "double", required=True),
        Column("lat", "double", required=True),
        Column("level", "lower", required=True),
        Column("status", "lower"),
        Column("opened_at", "time", required=True),
        Column("closed_at", "time"),
        Column("status_at", "time"),
        Column("category"),
        Column("parties", "list"),
        Column("description"),
        Column("grid_id"),
    ),
    rules=(
        _LON_LAT,
        _one_of("level", DISPUTE_LEVELS, "unknown dispute level"),
        _one_of("status", DISPUTE_STATUSES, "unknown dispute status"),
        Rule("resolved without closed_at", "status = 'resolved' AND coalesce(closed_at, status_at) IS NULL",
             "'a resolved dispute needs closed_at'"),
        Rule("status time before opened_at", "coalesce(status_at, closed_at) < opened_at",
             "'the ' || coalesce(status, 'open') || ' time is before opened_at'"),
        Rule("party is not a pseudonymous id", f"len(list_filter(parties, lambda x: {_NOT_PSEUDONYM})) > 0",
             f"'record parties by an id such as P1024, not ' || list_filter(parties, lambda x: {_NOT_PSEUDONYM})[1]"),
    ),
    stored={
        "dispute_id": "dispute_id", "lon": "lon", "lat": "lat", "level": "level",
        "status": "coalesce(status, 'open')",
        "opened_at": _utc("opened_at"),
        "closed_at": f"CASE WHEN status = 'resolved' THEN {_utc('coalesce(closed_at, status_at)')} END",
        "category": "category", "parties": "parties", "description": "description", "grid_id": "grid_id",
        "extra": "_pa_extra",
    },
    helpers={"_pa_status_at": _utc("coalesce(status_at, closed_at, opened_at)")},
    keys=(Key(("dispute_id",)),),
    after=_dispute_events,
)

GRID_LEVELS = ("police", "governance")

GRIDS = KindSpec(
    kind="grids",
    table="grids",
    description=("grids: a GeoJSON FeatureCollection of (Multi)Polygons with properties grid_id, level "
                 "(police or governance); optional name, parent_id, officer_id, population"),
    columns=(
        Column("grid_id", required=True),
        Column("level", "lower", required=True),
        Column("name"),
        Column("parent_id"),
        Column("officer_id"),
        Column("population", "int"),
    ),
    rules=(
        Rule("bad geometry", "_pa_geometry_problem IS NOT NULL", "_pa_geometry_problem"),
        _one_of("level", GRID_LEVELS, "unknown grid level"),
        Rule("negative population", "population < 0", "'population ' || population"),
    ),
    stored={
        "grid_id": "grid_id", "level": "level", "name": "name", "parent_id": "parent_id",
        "officer_id": "officer_id", "population": "population", "geometry": "_pa_geometry",
        "min_lon": "_pa_min_lon", "min_lat": "_pa_min_lat", "max_lon": "_pa_max_lon", "max_lat": "_pa_max_lat",
        "properties": "_pa_properties",
    },
    keys=(Key(("grid_id",)),),
    extra="ignore",  # every property is kept in `properties`
    formats=("geojson",),
)

KINDS: dict[str, KindSpec] = {spec.kind: spec for spec in (CAMERAS, READS, WATCHLIST, CASES, GRIDS, OFFICERS, DISPUTES)}
