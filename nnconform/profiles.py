"""Hypothesis profiles: ``ci`` (the default: derandomized, deterministic), ``dev`` and ``thorough``."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

DEFAULT_PROFILE = "ci"

_COMMON = {
    "deadline": None,  # timing is not a conformance property; a deadline would make verdicts flaky
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}


def register_profiles() -> None:
    settings.register_profile(
        "ci", max_examples=25, stateful_step_count=40, derandomize=True, database=None, **_COMMON
    )
    # ci without shrinking: enough to tell whether a mutant is caught, much faster when it is.
    settings.register_profile(
        "mutation",
        max_examples=25,
        stateful_step_count=40,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        **_COMMON,
    )
    settings.register_profile("dev", max_examples=10, stateful_step_count=12, **_COMMON)
    settings.register_profile(
        "thorough",
        max_examples=300,
        stateful_step_count=50,
        derandomize=False,
        database=None,
        phases=list(Phase),
        **_COMMON,
    )


def seeded(profile: str) -> str:
    """A variant of ``profile`` that lets ``--hypothesis-seed`` choose the examples.

    Derandomized profiles ignore the global seed, so a run that names a seed gets the same budget
    without derandomization: the same seed then always gives the same examples and verdicts.
    """
    name = f"{profile}-seeded"
    settings.register_profile(name, parent=settings.get_profile(profile), derandomize=False, database=None)
    return name
