"""Benchmarks of kgsite against the tools people would use instead (``nox -s bench``)."""
