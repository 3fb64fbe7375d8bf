"""The built-in programs, one script each. Every script is a resource of the read-only
``library`` namespace as it stands here, runs as a python task, and declares its own
parameter schema (``PROGRAM``), so a copy a user changes keeps working on its own."""
