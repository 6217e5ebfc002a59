"""Every sample-rate conversion a track goes through, from its mix to each delivered file: decided
here once (each target's file rate), said before anything plays and recorded with every file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hybrid.ddp.layout import CD_RATE_HZ

__all__ = ["HIRES_RATES_HZ", "RatePath", "delivered_rate_lines", "file_rate_hz", "khz", "plan_lines",
           "print_rate_hz", "upsampled_hires"]

# what a session may ask for in delivery.hires.rate_hz; 44.1/48 kHz = the print's own rate, unconverted
HIRES_RATES_HZ = (44100, 48000, 88200, 96000, 176400, 192000)


def khz(rate_hz: int) -> str:
    """48000 -> '48', 44100 -> '44.1', 88200 -> '88.2'."""
    return f"{rate_hz / 1000:g}"


def file_rate_hz(target: str, print_rate_hz: int, *, streaming_rate_hz: int = 48000,
                 hires_rate_hz: int | None = None) -> int:
    """The rate of a target's files from a print at `print_rate_hz`: streaming and preview at the
    session's streaming rate, the CD at 44.1 kHz, vinyl at the print's own rate, hi-res at the rate the
    session asks for, else the print's own (never upsampled unasked: that would not be hi-res)."""
    if target in ("streaming", "preview"):
        return streaming_rate_hz
    if target == "cd":
        return CD_RATE_HZ
    if target == "hires":
        return hires_rate_hz or print_rate_hz
    return print_rate_hz


@dataclass(frozen=True)
class RatePath:
    """A track's rates: its mix (None when unknown), the print (the rig's interface) and one file."""

    mix_hz: int | None
    print_hz: int
    file_hz: int

    def conversions(self) -> list[str]:
        out = []
        if self.mix_hz is not None and self.mix_hz != self.print_hz:
            out.append(f"{self.mix_hz} -> {self.print_hz} Hz at the rig")
        if self.file_hz != self.print_hz:
            out.append(f"{self.print_hz} -> {self.file_hz} Hz for the file")
        return out

    @property
    def converted_twice(self) -> bool:
        """44.1 -> 48 -> 44.1 kHz: two conversions where the mix's own rate needed none."""
        return len(self.conversions()) == 2 and self.mix_hz == self.file_hz

    @property
    def mix_content_lost(self) -> bool:
        """A mix above the print's rate: what it holds above the print's Nyquist was never printed."""
        return self.mix_hz is not None and self.mix_hz > self.print_hz

    def text(self) -> str:
        rates = ([self.mix_hz] if self.mix_hz is not None else []) + [self.print_hz, self.file_hz]
        steps = [r for n, r in enumerate(rates) if n == 0 or r != rates[n - 1]]
        count = len(steps) - 1
        if count == 0:
            return f"{khz(self.print_hz)} kHz throughout, no conversion"
        return " -> ".join(khz(r) for r in steps) + f" kHz ({'one conversion' if count == 1 else 'two conversions'})"


def print_rate_hz(mix_rates_hz: list[int], interface_rates_hz: list[int]) -> int:
    """The rate to print at: the mixes' own when they all share one the interface runs (nothing is
    converted on the way in), else the interface's default (its first rate). One rate per print: the
    loop is calibrated and fingerprinted at the rate it runs."""
    shared = set(mix_rates_hz)
    if len(shared) == 1 and (rate := shared.pop()) in interface_rates_hz:
        return rate
    return interface_rates_hz[0]


def upsampled_hires(print_rate_hz: int, hires_rate_hz: int | None) -> str | None:
    """Why hi-res files at the session's asked-for rate would not be hi-res, else None."""
    rate = file_rate_hz("hires", print_rate_hz, hires_rate_hz=hires_rate_hz)
    if rate <= print_rate_hz:
        return None
    return (f"hires at {rate} Hz from a print at {print_rate_hz} Hz would be upsampled: it holds nothing above "
            f"{print_rate_hz // 2} Hz and is not hi-res (print through an interface at {rate} Hz, or set "
            f"hires.rate_hz={print_rate_hz} for the print's own rate)")


def plan_lines(tracks: list[tuple[str, int]], print_rate_hz: int, targets: Sequence[str], *,
               streaming_rate_hz: int = 48000, hires_rate_hz: int | None = None) -> list[str]:
    """One line per track whose audio is converted on its way to a target's files (label, mix rate
    in), what converts where; said by the print before anything plays."""
    lines = []
    for label, mix_hz in tracks:
        paths = {target: RatePath(mix_hz, print_rate_hz, file_rate_hz(target, print_rate_hz,
                                                                      streaming_rate_hz=streaming_rate_hz,
                                                                      hires_rate_hz=hires_rate_hz))
                 for target in targets}
        converted = {t: p for t, p in paths.items() if p.conversions()}
        if not converted and mix_hz == print_rate_hz:
            continue
        head = f"{label}: a {khz(mix_hz)} kHz mix"
        if mix_hz != print_rate_hz:
            head += f" played through the rig's {khz(print_rate_hz)} kHz interface"
            if mix_hz > print_rate_hz:
                head += f" (what it holds above {print_rate_hz // 2} Hz is not printed)"
        parts = [f"{t} {p.text()}" for t, p in converted.items()]
        lines.append(head + ("; " + "; ".join(parts) if parts else ""))
    return lines


def delivered_rate_lines(deliverables: dict[str, Any]) -> list[str]:
    """The report's words for every delivered file whose rate path converts ("cd: track 1 'Opener':
    44.1 -> 48 -> 44.1 kHz (two conversions)"), from RenderResult.per_target as the report holds it."""
    lines = []
    for target, details in (deliverables or {}).items():
        for entry in details.get("tracks", []) if isinstance(details, dict) else []:
            path = entry.get("rate_path_hz")
            if isinstance(path, list) and len(path) == 3 and len({p for p in path if p}) > 1:
                lines.append(f"{target}: track {entry.get('number')} '{entry.get('title')}': {RatePath(*path).text()}")
    return lines
