"""Simulated twins of the units, each listening on its real wire (their sound models are devices.sound)."""
