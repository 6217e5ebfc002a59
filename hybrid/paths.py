"""The atomic writers the studio layer uses (they live in devices.paths)."""

from devices.paths import json_text, state_dir, write_atomic, write_files_atomic, write_json_atomic, write_text_atomic

__all__ = ["json_text", "state_dir", "write_atomic", "write_files_atomic", "write_json_atomic", "write_text_atomic"]
