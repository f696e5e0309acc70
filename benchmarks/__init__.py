"""Omnistore benchmark harness: datasets per scale, named scenarios, a floor to compare with.

Run it with `make bench SCALE=small|medium|large|xlarge`; see benchmarks/README.md.
"""
