"""Grids arrive as a GeoJSON FeatureCollection: each feature is checked with shapely and staged as a row.

A file that is not a FeatureCollection (or not JSON) is a :class:`BadFile`. A feature that is not a usable
(Multi)Polygon — another geometry type, unreadable or empty, outside longitude/latitude, or invalid (a
self-intersecting ring) — is staged with the problem in ``_pa_geometry_problem`` and the engine sets it
aside with that reason. The geometry is stored as WKB with its bounding box; every property is kept.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import shapely
from shapely.geometry import shape

from pingan.errors import BadFile
from pingan.store.importers.sources import Staged, check_columns, stage_arrow
from pingan.store.importers.spec import KindSpec

POLYGONS = ("Polygon", "MultiPolygon")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


def _geometry(feature: Any) -> tuple[Any, str | None]:
    """The feature's shapely geometry, or None and what is wrong with it."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, "not a GeoJSON Feature"
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict):
        return None, "the feature has no geometry"
    kind = geometry.get("type")
    if kind not in POLYGONS:
        return None, f"the geometry is a {kind}, not a Polygon or MultiPolygon"
    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        return None, f"unreadable coordinates ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
    if geom.is_empty:
        return None, "the polygon is empty"
    x0, y0, x1, y1 = geom.bounds
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90) or not np.isfinite([x0, y0, x1, y1]).all():
        return None, f"coordinates out of range (bounds {x0:g}, {y0:g}, {x1:g}, {y1:g} are not longitude/latitude)"
    if not shapely.is_valid(geom):
        return None, f"invalid polygon: {shapely.is_valid_reason(geom)}"
    return geom, None


def stage_geojson(con: duckdb.DuckDBPyConnection, spec: KindSpec, path: Path, table: str) -> Staged:
    """Stage a FeatureCollection: the contract properties as text, geometry as WKB and bbox, the rest kept."""
    data = path.read_bytes()
    size = len(data)
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise BadFile(f"The file {path} is empty; grids are imported from a GeoJSON FeatureCollection.")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise BadFile(f"Cannot read {path}: GeoJSON is UTF-8, but the bytes at offset {exc.start} are not; "
                      "save the file as UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise BadFile(f"The file {path} is not valid GeoJSON: {exc.msg} at line {exc.lineno}, "
                      f"column {exc.colno}.") from None
    except RecursionError:
        raise BadFile(f"The file {path} is nested too deeply to be GeoJSON; a FeatureCollection of Polygon "
                      "or MultiPolygon features is expected.") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
            or not isinstance(document.get("features"), list):
        what = document.get("type") if isinstance(document, dict) else type(document).__name__
        raise BadFile(f"The file {path} is not a GeoJSON FeatureCollection (it is a {what}); grids are imported "
                      "from a FeatureCollection of Polygon or MultiPolygon features.")
    features: list[Any] = document["features"]
    names = [c.name for c in spec.columns]
    columns: dict[str, list[str | None]] = {n: [] for n in names}
    geoms: list[Any] = []
    problems: list[str | None] = []
    properties: list[str | None] = []
    raws: list[str] = []
    seen: set[str] = set()
    for feature in features:
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        lower = {str(k).lower(): v for k, v in props.items()}
        seen.update(lower)
        for n in names:
            columns[n].append(_text(props.get(n, lower.get(n))))
        geom, problem = _geometry(feature)
        geoms.append(geom)
        problems.append(problem)
        properties.append(json.dumps(props, ensure_ascii=False) if props else None)
        raws.append(json.dumps(feature, ensure_ascii=False))
    if features:
        check_columns(spec, [n for n in names if n in seen], sorted(seen), path)
    ok = np.array([g is not None for g in geoms], dtype=bool)
    wkb: list[bytes | None] = [None] * len(geoms)
    bounds = np.full((len(geoms), 4), np.nan)
    if ok.any():
        good = np.array([g for g in geoms if g is not None], dtype=object)
        for i, blob in zip(np.flatnonzero(ok), shapely.to_wkb(good), strict=True):
            wkb[i] = bytes(blob)
        bounds[ok] = shapely.bounds(good)
    arrow = pa.table({
        **{n: pa.array(columns[n], type=pa.string()) for n in names},
        "_pa_geometry": pa.array(wkb, type=pa.binary()),
        "_pa_min_lon": pa.array(bounds[:, 0], mask=~ok), "_pa_min_lat": pa.array(bounds[:, 1], mask=~ok),
        "_pa_max_lon": pa.array(bounds[:, 2], mask=~ok), "_pa_max_lat": pa.array(bounds[:, 3], mask=~ok),
        "_pa_geometry_problem": pa.array(problems, type=pa.string()),
        "_pa_properties": pa.array(properties, type=pa.string()),
        "_pa_raw": pa.array(raws, type=pa.string()),
    })
    return stage_arrow(con, table, arrow, fmt="geojson", size=size, found=sorted(seen), raw_sql="s._pa_raw",
                       sha256=hashlib.sha256(data).hexdigest())
