"""Importing files into the store: every kind of the contract, validated, normalised, set aside, atomic.

>>> from pingan.store.importers import import_file, KINDS
>>> sorted(KINDS)
['cameras', 'cases', 'disputes', 'grids', 'officers', 'reads', 'watchlist']

One engine (:mod:`~pingan.store.importers.engine`) runs one declarative spec per kind
(:mod:`~pingan.store.importers.kinds`); see ``docs/import.md``.
"""

from pingan.store.importers.engine import import_file
from pingan.store.importers.kinds import KINDS
from pingan.store.importers.report import ImportReport
from pingan.store.importers.spec import Column, Key, KindSpec, Rule

__all__ = ["import_file", "ImportReport", "KINDS", "KindSpec", "Column", "Rule", "Key"]
