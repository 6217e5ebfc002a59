"""Simulated twins of the units, each listening on its real wire, and their analog sound models."""
