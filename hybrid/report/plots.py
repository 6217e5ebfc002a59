"""The report's plots as PNG bytes, drawn with matplotlib's Agg canvas (no display, no pyplot state)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

__all__ = ["album_png", "chain_png", "track_png"]

_DPI = 80
_COLOURS = {"source": "#8a8a8a", "capture": "#2b7bb9", "master": "#c0392b"}


def _figure(width_in: float, height_in: float):  # type: ignore[no-untyped-def]
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Fixed margins rather than a layout engine: constrained layout doubled the drawing time.
    fig = Figure(figsize=(width_in, height_in), dpi=_DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI)
    return buf.getvalue()


def _xy(curve: dict[str, Any], key: str) -> tuple[np.ndarray, np.ndarray]:
    """A stored curve back to arrays; None (silence) becomes NaN, a gap in the line."""
    t = np.asarray(curve.get("times_s") or [], dtype=float)
    v = np.array([np.nan if x is None else x for x in curve.get(key) or []], dtype=float)
    n = min(len(t), len(v))
    return t[:n], v[:n]


def _empty(ax, text: str) -> None:  # type: ignore[no-untyped-def]
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777")
    ax.set_xticks([])
    ax.set_yticks([])


def track_png(title: str, series: dict[str, Any]) -> bytes:
    """One track on four panels: loudness over time, true peak and gain reduction, spectrum, correlation."""
    fig = _figure(11.0, 6.6)
    fig.suptitle(title, fontsize=12)
    (ax_loud, ax_peak), (ax_spec, ax_corr) = fig.subplots(
        2, 2, gridspec_kw={"left": 0.06, "right": 0.92, "top": 0.91, "bottom": 0.08, "hspace": 0.38, "wspace": 0.3})
    names = {"master": f"master ({series['master_target']})"} if series.get("master_target") else {}
    _loudness_panel(ax_loud, series.get("loudness") or {}, names)
    _peak_panel(ax_peak, series.get("true_peak"), series.get("gain_reduction"))
    _spectrum_panel(ax_spec, series.get("spectrum") or {}, names, series.get("loudness") or {})
    _correlation_panel(ax_corr, series.get("correlation"))
    return _png(fig)


def _loudness_panel(ax, loud: dict[str, Any], names: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    if not loud:
        _empty(ax, "no audio to measure")
        return
    drawn = {k: v for k, v in loud.items() if k != "capture" or "master" not in loud}  # the mix and what ships
    for stage, curves in drawn.items():
        colour = _COLOURS.get(stage, "#444")
        stage = names.get(stage, stage)
        t, m = _xy(curves.get("momentary") or {}, "lufs")
        ax.plot(t, m, color=colour, alpha=0.35, lw=0.8, label=f"{stage} momentary")
        t, s = _xy(curves.get("short_term") or {}, "lufs")
        ax.plot(t, s, color=colour, lw=1.6, label=f"{stage} short-term")
        if curves.get("integrated_lufs") is not None:
            ax.axhline(curves["integrated_lufs"], color=colour, ls="--", lw=1.0,
                       label=f"{stage} integrated {curves['integrated_lufs']:.1f} LUFS")
    ax.set_title("Loudness over time (EBU mode)", fontsize=10)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("LUFS")
    _clip_bottom(ax, -60.0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower center", ncol=2)


def _clip_bottom(ax, floor: float) -> None:  # type: ignore[no-untyped-def]
    low, high = ax.get_ylim()
    ax.set_ylim(max(low, floor), high)


def _peak_panel(ax, peak: dict[str, Any] | None, reduction: dict[str, Any] | None) -> None:  # type: ignore[no-untyped-def]
    if not peak:
        _empty(ax, "no audio to measure")
        return
    t, v = _xy(peak, "dbtp")
    ax.plot(t, v, color=_COLOURS.get(peak.get("stage", ""), "#444"), lw=0.9, label=f"true peak ({peak.get('stage')})")
    if peak.get("ceiling_dbtp") is not None:
        ax.axhline(peak["ceiling_dbtp"], color="#b00020", ls=":", lw=1.2, label=f"ceiling {peak['ceiling_dbtp']:.1f} dBTP")
    ax.set_ylabel("dBTP")
    _clip_bottom(ax, -40.0)
    ax.set_xlabel("time (s)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    title = "True peak (50 ms blocks)"
    if reduction:
        twin = ax.twinx()
        t, gr = _xy(reduction, "db")
        twin.fill_between(t, 0.0, -gr, color="#e67e22", alpha=0.45, lw=0, label="limiter gain reduction")
        twin.set_ylabel("gain reduction (dB)")
        deepest = float(np.nanmax(gr)) if len(gr) and np.any(np.isfinite(gr)) else 0.0
        twin.set_ylim(-max(3.0, deepest * 3.0), 0.5)
        twin.legend(fontsize=7, loc="lower right")
        title += " and limiter gain reduction"
    ax.set_title(title, fontsize=10)


def matched_spectra(spectrum: dict[str, Any], loudness: dict[str, Any]
                    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, float]]:
    """Each stage's 1/3-octave levels moved to the source's integrated loudness (a master sits 8 dB
    above its mix, which hides what the EQ did), the difference of each from the source in dB (what
    the chain, and the chain with the finishing, did to the tone), and the shift applied per stage."""
    def levels(stage: str) -> np.ndarray:
        return np.array([np.nan if x is None else x for x in spectrum[stage]], dtype=float)

    def lufs(stage: str) -> float | None:
        value = loudness.get(stage, {}).get("integrated_lufs") if isinstance(loudness.get(stage), dict) else None
        return float(value) if isinstance(value, (int, float)) and np.isfinite(value) else None

    stages = [stage for stage in ("source", "capture", "master") if stage in spectrum]
    reference = lufs("source")
    matched: dict[str, np.ndarray] = {}
    shifts: dict[str, float] = {}
    for stage in stages:
        shift = 0.0
        if reference is not None and lufs(stage) is not None:
            shift = reference - lufs(stage)  # type: ignore[operator]
        matched[stage], shifts[stage] = levels(stage) + shift, shift
    differences: dict[str, np.ndarray] = {}
    if "source" in matched:
        for stage in stages[1:]:
            n = min(len(matched[stage]), len(matched["source"]))
            differences[stage] = matched[stage][:n] - matched["source"][:n]
    return matched, differences, shifts


def _spectrum_panel(ax, spectrum: dict[str, Any], names: dict[str, str],  # type: ignore[no-untyped-def]
                    loudness: dict[str, Any] | None = None) -> None:
    centres = np.asarray(spectrum.get("centres_hz") or [], dtype=float)
    if not len(centres):
        _empty(ax, "no audio to measure")
        return
    matched, differences, shifts = matched_spectra(spectrum, loudness or {})
    for stage, levels in matched.items():
        moved = f", {shifts[stage]:+.1f} dB to match" if abs(shifts[stage]) >= 0.05 else ""
        ax.semilogx(centres[: len(levels)], levels, color=_COLOURS[stage], lw=1.4, marker="o", ms=2,
                    label=names.get(stage, stage) + moved)
    ax.set_title("Spectrum before and after the chain, loudness-matched (1/3 octave)" if len(matched) > 1
                 else f"Spectrum of the {next(iter(matched), 'audio')} (1/3 octave)", fontsize=10)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("band level (dBFS, matched)")
    _clip_bottom(ax, -100.0)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="lower left")
    if differences:
        twin = ax.twinx()
        for stage, diff in differences.items():
            label = "the chain did (capture - source)" if stage == "capture" else "chain + finishing (master - source)"
            twin.semilogx(centres[: len(diff)], diff, color=_COLOURS[stage], lw=1.1, ls="--", label=label)
        twin.axhline(0.0, color="#555", lw=0.7)
        finite = np.concatenate([d[np.isfinite(d)] for d in differences.values()] + [np.zeros(1)])
        reach = max(3.0, float(np.max(np.abs(finite))) * 1.3)
        twin.set_ylim(-reach, reach)
        twin.set_ylabel("difference (dB)")
        twin.legend(fontsize=7, loc="lower right")


def _correlation_panel(ax, corr: dict[str, Any] | None) -> None:  # type: ignore[no-untyped-def]
    if not corr:
        _empty(ax, "mono: no stereo correlation")
        return
    t, v = _xy(corr, "values")
    ax.plot(t, v, color="#16a085", lw=0.9)
    ax.fill_between(t, 0.0, v, where=v < 0, color="#b00020", alpha=0.4, lw=0)
    ax.axhline(0.0, color="#555", lw=0.8)
    ax.set_ylim(-1.05, 1.05)
    ax.set_title(f"Stereo correlation over time ({corr.get('stage')}, 400 ms windows)", fontsize=10)
    ax.set_xlabel("time (s)")
    ax.grid(alpha=0.3)


def programme_gain(loudness: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """What the chain did to the programme's level: (source momentary loudness in LUFS, capture
    minus source in dB) for every 100 ms step where both are above -50 LUFS. A compressor shows as
    the gain falling where the source is loud; a chain that does not compress, a flat line."""
    def curve(stage: str) -> dict[float, float]:
        block = loudness.get(stage, {}).get("momentary") if isinstance(loudness.get(stage), dict) else None
        if not isinstance(block, dict):
            return {}
        return {round(float(t), 3): float(v) for t, v in zip(block.get("times_s") or [], block.get("lufs") or [])
                if isinstance(v, (int, float)) and np.isfinite(v)}

    source, capture = curve("source"), curve("capture")
    times = sorted(t for t in source if t in capture and source[t] > -50.0 and capture[t] > -50.0)
    return (np.array([source[t] for t in times]), np.array([capture[t] - source[t] for t in times]))


def chain_png(chain: dict[str, Any], programme: dict[str, dict[str, Any]] | None = None) -> bytes:
    """The analog chain: loop response at calibration, response with the revision's settings, the
    compression curve from the fingerprint's tones, and the chain's gain on each track's programme
    (momentary loudness every 100 ms: hundreds of points where the tones give four)."""
    gains = {label: programme_gain(loud) for label, loud in (programme or {}).items()}
    gains = {label: g for label, g in gains.items() if len(g[0])}
    panels = 1 + bool(chain.get("compression")) + bool(gains)
    fig = _figure({1: 7.0, 2: 11.0, 3: 15.0}[panels], 3.6)
    axes = fig.subplots(1, panels, gridspec_kw={"left": 0.07, "right": 0.98, "top": 0.9, "bottom": 0.15,
                                                "wspace": 0.22})
    axes = list(axes) if panels > 1 else [axes]
    ax = axes[0]
    for key, style, label in (("calibration", "--", "loop at calibration (units on bypass)"),
                              ("fingerprint", "-", "chain with this revision's settings")):
        block = chain.get(key)
        if not block:
            continue
        freqs = np.asarray(block["freqs_hz"], dtype=float)
        for ch, levels in enumerate(block["channels_db"]):
            n = min(len(freqs), len(levels))
            ax.semilogx(freqs[:n], np.asarray(levels[:n], dtype=float), ls=style, lw=1.3,
                        label=f"{label}, return {ch + 1}")
    ax.set_title("The analog chain's frequency response", fontsize=10)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("dB")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    if chain.get("compression"):
        comp = chain["compression"]
        levels = np.asarray(comp["levels_dbfs"], dtype=float)
        for ch, reduction in enumerate(comp["gain_reduction_db"]):
            axes[1].plot(levels, np.asarray(reduction, dtype=float), marker="o", label=f"return {ch + 1}")
        axes[1].set_title("Compression: gain reduction against level (1 kHz tone)", fontsize=10)
        axes[1].set_xlabel("tone level (dBFS)")
        axes[1].set_ylabel("gain reduction (dB)")
        axes[1].grid(alpha=0.3)
        axes[1].legend(fontsize=7)
    if gains:
        gain_ax = axes[-1]
        for label, (level, gain) in gains.items():
            gain_ax.plot(level, gain, ls="", marker=".", ms=3, alpha=0.6, label=label)
        gain_ax.set_title("The chain's gain on the programme (100 ms steps)", fontsize=10)
        gain_ax.set_xlabel("source momentary loudness (LUFS)")
        gain_ax.set_ylabel("gain (dB)")
        gain_ax.grid(alpha=0.3)
        gain_ax.legend(fontsize=7)
    return _png(fig)


def album_png(rows: list[dict[str, Any]]) -> bytes:
    """Integrated loudness and true peak per track for every deliverable: the album's consistency."""
    fig = _figure(11.0, 3.4)
    ax_loud, ax_peak = fig.subplots(1, 2, gridspec_kw={"left": 0.07, "right": 0.98, "top": 0.9, "bottom": 0.12,
                                                       "wspace": 0.22})
    tracks = list(dict.fromkeys(r["track"] for r in rows))
    stages = list(dict.fromkeys(r["stage"] for r in rows))
    width = 0.8 / max(1, len(stages))
    for i, stage in enumerate(stages):
        xs, loud, peak = [], [], []
        for r in rows:
            if r["stage"] == stage:
                xs.append(tracks.index(r["track"]) + i * width)
                loud.append(np.nan if r["integrated_lufs"] is None else r["integrated_lufs"])
                peak.append(np.nan if r["true_peak_dbtp"] is None else r["true_peak_dbtp"])
        ax_loud.bar(xs, loud, width=width, label=stage)
        ax_peak.bar(xs, peak, width=width, label=stage)
    for ax, title, unit in ((ax_loud, "Integrated loudness per track", "LUFS"),
                            (ax_peak, "True peak per track", "dBTP")):
        ax.set_xticks([k + 0.4 - width / 2 for k in range(len(tracks))], tracks, fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3, axis="y")
        ax.legend(fontsize=7)
    return _png(fig)
