"""Executors: where task processes run (``local`` by default)."""
