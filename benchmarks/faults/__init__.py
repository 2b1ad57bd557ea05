"""Fault injection: what the platform loses, duplicates and how fast it recovers.

``python -m benchmarks.faults`` runs every case and prints one table; ``tests/faults`` runs the
same cases under pytest (marker ``faults``) and asserts on them. See README "Faults".
"""
