"""Benchmarks and the load test (not tests): `make bench`, `make loadtest`. See README.md."""
