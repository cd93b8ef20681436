"""Test configuration: property tests are reproducible (same examples on every run)."""

import os
import tempfile

from hypothesis import settings

# `make test` gives the same verdict on every machine and every run: property tests draw the
# same examples everywhere; HYPOTHESIS_PROFILE=explore draws new ones (to look for bugs)
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# the tests, and the commands they start, use a cache of their own, empty at the start
os.environ["DERIVE_CACHE_DIR"] = tempfile.mkdtemp(prefix="derive-test-cache-")
