"""Which vehicle types outrank a watchlisted offender? A check of the vehicle type as a ranking signal.

For each watchlisted offence of the evaluation counties (seeds 1-5, 20,000 vehicles, 3 % misreads, built
and cached by bench/county.py as the accuracy harness builds them), ranks the vehicles seen and counts the
type the cameras gave (the most frequent ``vehicle_type`` of each plate's reads) of the offenders, of the
vehicles ranked above an offender who was not first, and of every top-5 place.

    .venv/bin/python bench/miss_types.py [--seeds 1 2 3 4 5]

Session 8 (docs/ranking.md): the cars above the offender in the 23 top-1 misses were 37 cars, 14 SUVs, one
van, one truck and two buses (38 and 13 in a rerun: ties between two types go either way); only one miss had
nothing but trucks or buses above the offender.
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.county import county  # noqa: E402
from pingan.anpr.evaluate import load_answer_key, offender_rank  # noqa: E402
from pingan.anpr.suspects import SuspectQuery, suspects  # noqa: E402
from pingan.sim import SimConfig  # noqa: E402
from pingan.store.db import open_store  # noqa: E402

LARGE = ("truck", "bus")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    args = parser.parse_args()
    offenders, above, top5 = collections.Counter(), collections.Counter(), collections.Counter()
    misses = only_large = 0
    for seed in args.seeds:
        folder, db = county(SimConfig(vehicles=20_000, days=35, seed=seed, misread_rate=0.03))
        key = load_answer_key(folder)
        with open_store(db) as store:
            kind = dict(store.con.execute("SELECT plate, mode(vehicle_type) FROM reads GROUP BY plate").fetchall())
            for offence in key["offences"]:
                if not offence["watchlisted"]:
                    continue
                result = suspects(store, SuspectQuery(case_id=offence["case_id"], top=10))
                rank, _ = offender_rank(result, offence["plate"])
                offenders[kind.get(offence["plate"])] += 1
                top5.update(kind.get(c.plate) for c in result.candidates[:5])
                if rank is None or rank > 1:
                    misses += 1
                    ahead = [kind.get(c.plate) for c in result.candidates[: (rank or 11) - 1]
                             if c.plate != offence.get("accomplice_plate")]
                    above.update(ahead)
                    only_large += bool(ahead) and all(t in LARGE for t in ahead)
    print("offenders' types:", dict(offenders))
    print(f"top-1 misses: {misses}; types ranked above the offender:", dict(above))
    print(f"misses with only trucks or buses above the offender: {only_large}")
    print("types in the top-5 places:", dict(top5))


if __name__ == "__main__":
    main()
