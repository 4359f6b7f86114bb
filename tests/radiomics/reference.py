"""IBSI reference values (../shared/data/ibsi/reference_values) and the IBSI rule for matching them."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ReferenceValue:
    tag: str
    family: str
    value: float
    tolerance: float

    def matches(self, computed: float) -> bool:
        """Within the tolerance, or equal at the three significant digits the reference is published with."""
        if self.value == 0:
            rounding = 5e-4
        else:
            rounding = 0.5 * 10 ** (math.floor(math.log10(abs(self.value))) - 2)
        return abs(computed - self.value) <= max(self.tolerance, rounding) * (1 + 1e-9)


def read_reference(path: Path) -> list[ReferenceValue]:
    """The rows that have a reference value (IBSI leaves non-standardised features empty)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        ReferenceValue(r["tag"], r["family"], float(r["reference value"]), float(r["tolerance"] or 0))
        for r in rows
        if r["reference value"].strip()
    ]
