"""State folder and atomic writes, re-exported for the studio-facing layer."""

from devices.paths import state_dir, write_atomic, write_json_atomic, write_text_atomic

__all__ = ["state_dir", "write_atomic", "write_json_atomic", "write_text_atomic"]
