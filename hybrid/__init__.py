"""hybrid: the studio-facing layer: sessions, the print pipeline, finishing, deliverables, the CLI."""

__version__ = "0.1.0"
