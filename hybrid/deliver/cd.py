"""The `cd` target: 16-bit 44.1 kHz dithered WAVs on frame boundaries, Red Book checks, DDP, CUE, PQ."""

from __future__ import annotations

from typing import Any

import numpy as np

from hybrid.ddp.cdtext import encode_packs
from hybrid.ddp.layout import SAMPLES_PER_FRAME, CdLayout, frames_to_msf, layout_album
from hybrid.deliver.builder import TargetBuilder
from hybrid.deliver.cdfiles import cd_text_for, write_album_files
from hybrid.deliver.charset import latin1_changes
from hybrid.deliver.compliance import Issue, check_red_book
from hybrid.deliver.job import TrackMaster


class CdBuilder(TargetBuilder):
    name = "cd"
    bits = 16
    default_ceiling_dbtp = -0.3  # no lossy encoder follows a CD; a little room for the DAC's filters
    channels = 2

    def prepare(self, track: TrackMaster, audio: np.ndarray) -> np.ndarray:
        if audio.shape[1] == 1:
            self.issues.append(Issue("warning", "cd.mono", f"{self.label(track)}: mono print, written dual-mono",
                                     track.number))
            return np.repeat(audio, 2, axis=1)
        return audio

    def shape(self, track: TrackMaster, pcm: np.ndarray) -> np.ndarray:
        # digital silence to the next frame boundary, so the next track starts on one
        padding = -pcm.shape[0] % SAMPLES_PER_FRAME
        if padding:
            pcm = np.concatenate([pcm, np.zeros((padding, pcm.shape[1]), dtype=pcm.dtype)])
        return pcm

    def extra(self, track: TrackMaster, entry: dict[str, Any], audio: np.ndarray, rate_hz: int) -> None:
        entry["isrc"] = track.isrc
        entry["gap_before_frames"] = track.gap_before_frames

    def layout(self) -> CdLayout:
        return layout_album([(e["track_id"], e["title"], e["isrc"], e["audio_samples"], e["gap_before_frames"])
                             for e in self.entries])

    def complete(self) -> dict[str, Any]:
        layout = self.layout()
        self.issues += check_red_book(layout)
        more: dict[str, Any] = {"layout": _layout_dict(layout), "total_s": round(layout.total_s, 3)}
        if not any(i.level == "error" for i in self.issues):
            more.update(self.album_files(layout))
        return self.details(**more)

    def album_files(self, layout: CdLayout) -> dict[str, Any]:
        """DDP image, CUE sheet and PQ sheets, written only once the Red Book rules hold."""
        for change in latin1_changes(self.job.album, self.job.tracks):
            self.issues.append(Issue("warning", "cd.latin1",
                                     f"cd: the CUE sheets, CD-TEXT and the WAVs' LIST/INFO hold ISO 8859-1 only; {change}"))
        text = cd_text_for(self.job.album, self.job.tracks)
        try:
            if text is not None:
                encode_packs(text)
        except ValueError as exc:  # more words than one CD-TEXT block holds
            self.issues.append(Issue("warning", "cd.cdtext_too_long", f"cd: CD-TEXT left out: {exc}"))
            text = None
        wavs = [e["path"] for e in self.entries]
        written = write_album_files(self.folder, layout, wavs, self.job.album, self.job.tracks, text)
        self.files += [p for p in written.values() if p.is_file()]
        return dict(written)


def _layout_dict(layout: CdLayout) -> list[dict[str, Any]]:
    return [{
        "number": t.number, "track_id": t.track_id, "isrc": t.isrc,
        "index0": frames_to_msf(t.index0_frame), "index1": frames_to_msf(t.index1_frame),
        "index0_frame": t.index0_frame, "index1_frame": t.index1_frame,
        "length": frames_to_msf(t.length_frames), "length_frames": t.length_frames,
    } for t in layout.tracks]
