"""Benchmarks: `make bench` runs them all; each prints a table and writes bench/results/*.json."""
