"""Headings and bearings: how a camera's direction of travel relates to a place."""

from __future__ import annotations

import pytest


def test_camera_directions_in_the_forms_forces_write_them_become_headings() -> None:
    from pingan.geo import heading_degrees

    assert heading_degrees("N") == 0.0
    assert heading_degrees("northbound") == 0.0
    assert heading_degrees("SW") == 225.0
    assert heading_degrees("北") == 0.0
    assert heading_degrees("东北") == 45.0
    assert heading_degrees("由南向北") == 0.0
    assert heading_degrees("西向") == 270.0
    assert heading_degrees("90") == 90.0
    assert heading_degrees("卡口") is None and heading_degrees("") is None and heading_degrees(None) is None


def test_bearing_points_from_the_first_place_to_the_second() -> None:
    from pingan.geo import bearing_degrees

    assert float(bearing_degrees(118.0, 32.0, 118.0, 32.1)) == pytest.approx(0.0, abs=0.1)
    assert float(bearing_degrees(118.0, 32.0, 118.1, 32.0)) == pytest.approx(90.0, abs=0.1)
    assert float(bearing_degrees(118.0, 32.0, 117.9, 32.0)) == pytest.approx(270.0, abs=0.1)
