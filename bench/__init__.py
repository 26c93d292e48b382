"""Benchmarks: `make bench` runs every module in bench.__main__.MODULES (see there)."""
