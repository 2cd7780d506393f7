"""What an import did: rows accepted, set aside (and why), already stored."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ImportReport:
    """The outcome of one import batch.

    Every row of the file is counted once: ``rows_total = accepted + set_aside + already_stored``.
    ``reasons`` counts the rows set aside by reason (the part of the reason before the colon).
    """

    batch_id: int
    kind: str
    file: str
    file_format: str
    encoding: str | None
    rows_total: int = 0
    accepted: int = 0
    set_aside: int = 0
    already_stored: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["seconds"] = round(self.seconds, 3)
        document["rows_per_second"] = round(self.rows_total / self.seconds) if self.seconds > 0 else None
        return document

    def summary(self) -> str:
        """One sentence for a person: what was stored, what was set aside and why."""
        encoding = f", {self.encoding}" if self.encoding and self.file_format == "csv" else ""
        text = (f"Imported {self.accepted:,} of {self.rows_total:,} {self.kind} rows from {self.file} "
                f"({self.file_format}{encoding}) as batch {self.batch_id} in {self.seconds:.1f} s")
        parts = []
        if self.set_aside:
            why = ", ".join(f"{n:,} {reason}" for reason, n in sorted(self.reasons.items(), key=lambda kv: -kv[1]))
            parts.append(f"{self.set_aside:,} set aside ({why})")
        if self.already_stored:
            parts.append(f"{self.already_stored:,} already stored")
        return text + ("; " + " and ".join(parts) if parts else "") + "."
