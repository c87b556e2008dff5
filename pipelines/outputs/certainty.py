"""How sure a rate of seeds or emails is, as the review and the alerts judge it: its 95% Wilson
interval, and whether a change between two rates is larger than its noise. The marts compute the
same with the dbt macros `wilson_bound` and `beyond_noise` (macros/ratios.sql); tests hold the two
equal on the marts' rows."""

import math
from typing import Tuple

Z = 1.96
"""95% confidence: an interval holds the true rate, and a change counts, at this many standard
errors (README: "Changes larger than their noise")."""


def wilson_interval(hits: float, n: float) -> Tuple[float, float]:
    """The 95% Wilson score interval of `hits` out of `n` (n > 0): one seed in the inbox out of one
    is 100%, its interval 21%..100%. Clamped to hold the rate itself, as the macro does."""
    p = hits / n
    centre, spread = p + Z * Z / (2 * n), Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return max(0.0, min(p, (centre - spread) / (1 + Z * Z / n))), min(1.0, max(p, (centre + spread) / (1 + Z * Z / n)))


def beyond_noise(part_a: int, whole_a: int, part_b: int, whole_b: int) -> bool:
    """Whether the rates part_a/whole_a and part_b/whole_b differ by more than their noise (a
    two-proportion z-test at `Z`, pooled): 3 of 4 seeds against 1 of 4 does not, 30 of 40 against
    10 of 40 does."""
    pooled = (part_a + part_b) / (whole_a + whole_b)
    error = math.sqrt(pooled * (1 - pooled) * (1 / whole_a + 1 / whole_b))
    return bool(error) and abs(part_a / whole_a - part_b / whole_b) > Z * error  # no error: equal rates
