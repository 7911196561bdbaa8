"""Helpers every app may use: a plain package, not an app (no models, no migrations, no urls).

It imports Django and Celery only, never an app of this project, so any app can import it without
a cycle (portal/tests/test_layout.py checks that).
"""
