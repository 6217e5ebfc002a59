"""What each streaming platform's loudness normalization will do to a track: turn it down or up."""

from __future__ import annotations

from dataclasses import dataclass

from hybrid.deliver.compliance import Issue

__all__ = ["PLATFORMS", "Platform", "loudness_issues", "playback_changes"]


@dataclass(frozen=True)
class Platform:
    """A platform's normalization as published: its reference level and whether it turns quiet
    tracks up (and then only as far as its peak headroom allows, since none of them limits)."""

    name: str
    reference_lufs: float
    turns_up: bool
    peak_limit_dbtp: float = -1.0  # how far up a quiet track may go before its peaks would pass this


PLATFORMS: tuple[Platform, ...] = (
    Platform("Spotify", -14.0, turns_up=True, peak_limit_dbtp=-1.0),
    Platform("YouTube", -14.0, turns_up=False),
    Platform("Tidal", -14.0, turns_up=False),
    Platform("Apple Music", -16.0, turns_up=True, peak_limit_dbtp=-1.0),
    Platform("Deezer", -15.0, turns_up=False),
)


def playback_changes(integrated_lufs: float | None, true_peak_dbtp: float) -> list[dict[str, object]]:
    """Per platform: the gain it applies at playback (negative = turned down) and why."""
    rows: list[dict[str, object]] = []
    for p in PLATFORMS:
        if integrated_lufs is None:
            rows.append({"platform": p.name, "reference_lufs": p.reference_lufs, "playback_gain_db": 0.0,
                         "note": "no gated loudness (silence): left alone"})
            continue
        wanted_db = p.reference_lufs - integrated_lufs
        if wanted_db <= 0:
            gain_db, note = wanted_db, "turned down"
        elif not p.turns_up:
            gain_db, note = 0.0, f"quieter than {p.reference_lufs:.0f} LUFS; this platform does not turn up"
        else:
            headroom_db = max(0.0, p.peak_limit_dbtp - true_peak_dbtp)
            gain_db = min(wanted_db, headroom_db)
            note = "turned up" if gain_db == wanted_db else (
                f"turned up only {gain_db:.1f} dB: peaks reach {p.peak_limit_dbtp:+.0f} dBTP")
        rows.append({"platform": p.name, "reference_lufs": p.reference_lufs,
                     "playback_gain_db": round(gain_db, 2), "note": note})
    return rows


def loudness_issues(integrated_lufs: float | None, true_peak_dbtp: float, *, label: str,
                    track: int | None = None) -> list[Issue]:
    """Warnings only: loudness is the engineer's call, these say what the platforms will make of it."""
    if integrated_lufs is None:
        return [Issue("warning", "loudness.silent", f"{label}: no gated loudness (the track is silent)", track)]
    issues: list[Issue] = []
    # Spotify asks for -2 dBTP on masters louder than -14 LUFS: its encoder overshoots more there
    if integrated_lufs > -14.0 and true_peak_dbtp > -2.0:
        issues.append(Issue("warning", "loudness.spotify_peak",
                            f"{label}: {integrated_lufs:.1f} LUFS is louder than -14 LUFS with a true peak of "
                            f"{true_peak_dbtp:+.1f} dBTP; Spotify asks for -2 dBTP or lower on loud masters",
                            track))
    down_db = -14.0 - integrated_lufs
    if down_db < -5.0:
        issues.append(Issue("warning", "loudness.turned_down",
                            f"{label}: at {integrated_lufs:.1f} LUFS the -14 LUFS platforms turn it down "
                            f"{-down_db:.1f} dB; the limiting that bought that loudness is heard, the level is not",
                            track))
    return issues
