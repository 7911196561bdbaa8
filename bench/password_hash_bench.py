"""Cost of one Argon2 password check (the price of every login and of a brute-force guess).

Usage: .venv/bin/python bench/password_hash_bench.py
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import check_password, make_password  # noqa: E402

encoded = make_password("Demo-oms-2026!")
samples = []
for _ in range(30):
    start = time.perf_counter()
    assert check_password("Demo-oms-2026!", encoded)
    samples.append((time.perf_counter() - start) * 1000)
print(f"hasher: {encoded.split('$')[0]}  p50 {statistics.median(samples):.1f} ms  max {max(samples):.1f} ms (n=30)")
