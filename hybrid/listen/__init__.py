"""Listening through the chain: the engine `hybrid listen` and the desk drive (see engine.py)."""

from hybrid.listen.control import ControlMove
from hybrid.listen.engine import ListenEngine, ListenOptions
from hybrid.listen.material import SOURCES, LoopRegion
from hybrid.listen.sinks import FileSink, Tap
from hybrid.listen.state import ListenState, SourceState

__all__ = ["ControlMove", "FileSink", "ListenEngine", "ListenOptions", "ListenState", "LoopRegion", "SOURCES",
           "SourceState", "Tap"]
