"""Benchmarks: Backbone's solver against pyvroom and PyVRP on VRPTW, and a synthetic field-service day.

Not part of the hosted app: `backbone bench ...` runs them (the peers come with the `bench` extra).
"""
