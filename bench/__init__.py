"""Speed and accuracy figures, measured beside peers in the same run: `python -m bench [MODULE...]`."""
