"""Hypothesis profiles for the readers' property tests.

`ci` (the default) runs a bounded number of examples so the suite stays quick; `long` runs
many more: `HYPOTHESIS_PROFILE=long pytest tests/documents/test_hostile.py`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile("ci", max_examples=12, deadline=None, suppress_health_check=_QUIET)
settings.register_profile(
    "long", max_examples=400, deadline=None, suppress_health_check=_QUIET
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
