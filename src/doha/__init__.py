"""doha: Direction Of Healthcare Activities."""

__version__ = "0.1.0"
