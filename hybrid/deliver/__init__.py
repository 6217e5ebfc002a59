"""Release deliverables: streaming, CD (with DDP), hi-res, vinyl and preview files, checked."""

from hybrid.deliver.job import AlbumInfo, RenderJob, RenderResult, TrackMaster
from hybrid.deliver.render import TARGETS, render

__all__ = ["TARGETS", "AlbumInfo", "RenderJob", "RenderResult", "TrackMaster", "render"]
