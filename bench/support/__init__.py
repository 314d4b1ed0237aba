"""Helpers shared by the benchmarks (the process helpers they share with the tests are in tests/support)."""
