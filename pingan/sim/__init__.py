"""The county simulator: demo and benchmark data with an answer key (architecture decision 8).

>>> from pingan.sim import SimConfig, simulate            # doctest: +SKIP
>>> result = simulate(Path("county"), SimConfig(vehicles=5_000, days=3, seed=1))  # doctest: +SKIP

See ``docs/simulator.md`` for how the county is built, what is planted and the answer key format.
"""

from pingan.sim.config import SimConfig
from pingan.sim.simulate import SimResult, simulate

__all__ = ["SimConfig", "SimResult", "simulate"]
