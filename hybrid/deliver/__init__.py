"""Release deliverables: streaming, CD (with DDP), hi-res, vinyl and preview files, checked."""

from __future__ import annotations

from typing import Any

from hybrid.deliver.job import AlbumInfo, RenderJob, RenderResult, TrackMaster

__all__ = ["TARGETS", "AlbumInfo", "RenderJob", "RenderResult", "TrackMaster", "render"]


def __getattr__(name: str) -> Any:
    # render pulls in the whole finishing chain; tags, RIFF chunks and compliance rules stay
    # importable on their own (and quick to import) without it
    if name in ("render", "TARGETS"):
        from importlib import import_module

        return getattr(import_module("hybrid.deliver.renderer"), name)
    raise AttributeError(f"module 'hybrid.deliver' has no attribute {name!r}")
