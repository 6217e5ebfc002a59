"""devices: everything that talks to gear (wires, units, audio interfaces) and their simulated twins."""
