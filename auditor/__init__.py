"""auditor: rebuild the wheels of a hash-pinned lock from their sdists and compare them."""

__version__ = "0.1.0"
