"""The desk: one local web page over a session, a thin face of the same library functions as the CLI."""
