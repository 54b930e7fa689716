"""Benchmarks of Gerbang against stock Keycloak on the same server: ``make bench``.

Not part of the test suite: timings depend on the machine, so they are printed and written to
``bench/RESULTS.md`` next to a baseline measured in the same run, never asserted.
"""
