"""Statistics for the nn.init suites: target distributions and a goodness-of-fit check with a proven
false-alarm bound.

A :class:`Law` is a continuous distribution: its CDF and the interval its values must lie in. The fit
check is the Kolmogorov-Smirnov distance between the samples' empirical CDF and the law's CDF, held to
the Dvoretzky-Kiefer-Wolfowitz bound with Massart's constant: for n independent draws from the law,
P(distance > eps) <= 2 exp(-2 n eps^2) for every n. With ``ALPHA`` = 1e-9 per check, a test that makes at
most a few checks in each of its examples (25 under the ``ci`` profile, 300 under ``thorough``) raises a
false alarm less than once in a million runs, whatever the candidate's random stream, as long as its
draws follow the law. The bound covers mean, spread and shape at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ALPHA = 1e-9
# samples gathered for one fit check: the KS threshold is then about 0.037, far below the distance a
# wrong bound, a wrong fan or a missing gain produces, while the draws stay cheap
SAMPLES = 8000
# slack on the bounds, relative to the bound's size: float32 rounding of a bound and of a + (b - a) * u
BOUND_SLACK = 1e-6

_erf = np.frompyfunc(math.erf, 1, 1)


def _std_normal_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + _erf(np.asarray(z, dtype=np.float64) / math.sqrt(2.0)).astype(np.float64))


@dataclass(frozen=True)
class Law:
    """A continuous distribution: a description for messages, its CDF, and the closed interval
    [low, high] every value must lie in."""

    description: str
    cdf: Callable[[np.ndarray], np.ndarray]
    low: float = -math.inf
    high: float = math.inf


def uniform(low: float, high: float) -> Law:
    width = high - low
    return Law(
        f"U({low!r}, {high!r})", lambda x: np.clip((np.asarray(x, np.float64) - low) / width, 0, 1), low, high
    )


def normal(mean: float, std: float) -> Law:
    return Law(
        f"N({mean!r}, {std!r}**2)", lambda x: _std_normal_cdf((np.asarray(x, np.float64) - mean) / std)
    )


def truncated_normal(mean: float, std: float, low: float, high: float) -> Law:
    lo_p = float(_std_normal_cdf(np.array([(low - mean) / std]))[0])
    hi_p = float(_std_normal_cdf(np.array([(high - mean) / std]))[0])

    def cdf(x: np.ndarray) -> np.ndarray:
        inside = np.clip(np.asarray(x, np.float64), low, high)
        return np.clip((_std_normal_cdf((inside - mean) / std) - lo_p) / (hi_p - lo_p), 0, 1)

    return Law(f"N({mean!r}, {std!r}**2) truncated to [{low!r}, {high!r}]", cdf, low, high)


def ks_distance(samples: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray]) -> float:
    """sup |empirical CDF - cdf| over the real line, for a continuous ``cdf``."""
    xs = np.sort(np.asarray(samples, dtype=np.float64).ravel())
    n = xs.size
    f = cdf(xs)
    above = np.arange(1, n + 1) / n - f
    below = f - np.arange(0, n) / n
    return float(max(above.max(), below.max()))


def dkw_threshold(n: int, alpha: float = ALPHA) -> float:
    """The distance that n draws from the law exceed with probability at most ``alpha``."""
    return math.sqrt(math.log(2.0 / alpha) / (2.0 * n))


def check_bounds(samples: np.ndarray, law: Law, what: str) -> None:
    """Every sample lies in [law.low, law.high] (up to float rounding)."""
    xs = np.asarray(samples, dtype=np.float64).ravel()
    if xs.size == 0:
        return
    bad_nan = int(np.isnan(xs).sum())
    assert bad_nan == 0, (
        f"{what}: {bad_nan} of {xs.size} values are NaN, expected draws from {law.description}"
    )
    lo, hi = float(xs.min()), float(xs.max())
    scale = max(
        abs(law.low) if math.isfinite(law.low) else 0.0, abs(law.high) if math.isfinite(law.high) else 0.0
    )
    slack = BOUND_SLACK * scale + 1e-30
    assert lo >= law.low - slack, (
        f"{what}: minimum value {lo!r} is below {law.low!r}, expected {law.description}"
    )
    assert hi <= law.high + slack, (
        f"{what}: maximum value {hi!r} is above {law.high!r}, expected {law.description}"
    )


def check_fit(samples: np.ndarray, law: Law, what: str, alpha: float = ALPHA) -> None:
    """The samples' KS distance to ``law`` is within the DKW threshold (false alarm <= alpha)."""
    xs = np.asarray(samples, dtype=np.float64).ravel()
    distance = ks_distance(xs, law.cdf)
    threshold = dkw_threshold(xs.size, alpha)
    assert distance <= threshold, (
        f"{what}: {xs.size} values do not follow {law.description}: KS distance {distance:.4f} > "
        f"{threshold:.4f} (false-alarm bound {alpha:g}); sample mean {xs.mean():.6g}, std {xs.std():.6g}, "
        f"min {xs.min():.6g}, max {xs.max():.6g}"
    )


def check_law(samples: np.ndarray, law: Law, what: str) -> None:
    """Bounds exactly, then the distribution's fit."""
    check_bounds(samples, law, what)
    check_fit(samples, law, what)
