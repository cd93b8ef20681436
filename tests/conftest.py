"""Test configuration: property tests are reproducible in CI (same examples on every run)."""

import os
import tempfile

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# the tests, and the commands they start, use a cache of their own, empty at the start
os.environ["DERIVE_CACHE_DIR"] = tempfile.mkdtemp(prefix="derive-test-cache-")
