"""Grids (网格): police and governance grids, three-colour grading, officers and disputes.

One concept per module:

* :mod:`~pingan.grids.geometry` — grids from the store as shapely polygons; ``GridSet.locate`` places
  points in them with an STRtree (about a million points a second);
* :mod:`~pingan.grids.fusion` — each governance grid fused into the police grid holding most of its area;
* :mod:`~pingan.grids.officers` — officers' grids and workload;
* :mod:`~pingan.grids.scoring` — the risk score of a police grid and its components;
* :mod:`~pingan.grids.policy` — colour rules (quotas, thresholds), weights and hysteresis;
* :mod:`~pingan.grids.grading` — grading as of a date, with a history that says why;
* :mod:`~pingan.grids.disputes` — disputes (矛盾纠纷) and their status workflow;
* :mod:`~pingan.grids.synth` — synthetic grid maps for demos and benchmarks.

See ``docs/grids.md``.
"""
