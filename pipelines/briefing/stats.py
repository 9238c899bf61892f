"""Interval estimates for shares and their differences, the same formulas as warehouse/trends.sql uses."""

from __future__ import annotations

from math import sqrt

Z95 = 1.959963984540054


def wilson(x: float, n: float, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of x successes in n trials: honest at small n and near 0 or 1, unlike p ± z·se."""
    if n <= 0:
        return None
    p = x / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, mid - half), min(1.0, mid + half)


def newcombe(x1: float, n1: float, x0: float, n0: float, z: float = Z95) -> tuple[float, float] | None:
    """Newcombe's hybrid score interval for p1 − p0, built from the two Wilson intervals (skill_trends' method)."""
    a, b = wilson(x1, n1, z), wilson(x0, n0, z)
    if a is None or b is None:
        return None
    p1, p0 = x1 / n1, x0 / n0
    return (p1 - p0 - sqrt((p1 - a[0]) ** 2 + (b[1] - p0) ** 2),
            p1 - p0 + sqrt((a[1] - p1) ** 2 + (p0 - b[0]) ** 2))
