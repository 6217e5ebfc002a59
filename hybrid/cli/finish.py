"""`hybrid finish IN OUT`: rate conversion, loudness target, true-peak limiting and dither."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devices.paths import write_atomic_with
from hybrid.errors import ConfigError, HybridError
from hybrid.progress import progress

if TYPE_CHECKING:
    from dsp.finishing import FinishSettings

__all__ = ["register", "run"]

_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".aif": "AIFF", ".aiff": "AIFF"}
_SUBTYPES = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}
RATES_HZ = (44100, 48000, 88200, 96000, 176400, 192000)


def _number(option: str, text: str, low: float, high: float, allowed: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise ConfigError(None, option, text, allowed)
    return value


def _settings(args: argparse.Namespace) -> FinishSettings:
    from dsp.finishing import FinishSettings  # the dsp stack loads only when a command runs

    ceiling = _number("--ceiling", args.ceiling, -20.0, 0.0, "a ceiling from -20.0 to 0.0 dBTP is allowed")
    target = None
    if args.lufs is not None:
        target = _number("--lufs", args.lufs, -40.0, -3.0, "a loudness target from -40.0 to -3.0 LUFS is allowed")
    rate = None
    if args.rate is not None:
        if args.rate not in {str(r) for r in RATES_HZ}:
            raise ConfigError(None, "--rate", args.rate, "one of 44100, 48000, 88200, 96000, 176400, 192000 Hz is allowed")
        rate = int(args.rate)
    if args.bits not in {"16", "24", "32"}:
        raise ConfigError(None, "--bits", args.bits, "16, 24 or 32 (float) is allowed")
    bits = int(args.bits)
    dither = args.dither if args.dither is not None else ("none" if bits == 32 else "tpdf")
    if dither not in {"tpdf", "shaped", "none"}:
        raise ConfigError(None, "--dither", args.dither, "tpdf, shaped or none is allowed")
    return FinishSettings(ceiling_dbtp=ceiling, lufs_target=target, rate_hz=rate, bits=bits, dither=dither)


def _file_format(out: Path, bits: int) -> str:
    file_format = _FORMATS.get(out.suffix.lower())
    if file_format is None:
        raise ConfigError(None, "OUT", str(out), "a .wav, .flac, .aif or .aiff file name is allowed")
    if file_format == "FLAC" and bits == 32:
        raise ConfigError(None, "--bits", "32", "FLAC holds 16 or 24 bits; use .wav or .aiff for 32-bit float")
    return file_format


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "finish",
        help="limit to a true-peak ceiling, set loudness, convert rate, dither; write a master",
        description="Finish IN into OUT: sample-rate conversion (soxr VHQ), gain to a loudness "
        "target, a look-ahead true-peak limiter, dither to the word length. OUT's extension picks "
        "the format (.wav, .flac, .aif/.aiff); OUT is written atomically.",
    )
    parser.add_argument("input", metavar="IN", help="WAV, FLAC or AIFF file to finish")
    parser.add_argument("output", metavar="OUT", help="file to write (.wav, .flac, .aif, .aiff)")
    parser.add_argument("--ceiling", default="-1.0", metavar="DBTP", help="true-peak ceiling in dBTP (default -1.0)")
    parser.add_argument("--lufs", default=None, metavar="T", help="integrated loudness target in LUFS (default: none)")
    parser.add_argument("--rate", default=None, metavar="HZ", help="output sample rate (default: the input's)")
    parser.add_argument("--bits", default="24", metavar="16|24|32", help="output word length; 32 = float (default 24)")
    parser.add_argument(
        "--dither", default=None, metavar="tpdf|shaped|none", help="dither when reducing word length (default tpdf)"
    )
    parser.add_argument("--json", action="store_true", help="print what was done as one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybrid.audiofile import probe_audio  # numpy loads only when a command reads audio

    info = probe_audio(args.input)  # a missing or unreadable input is refused before the dsp stack loads
    settings = _settings(args)
    out = Path(args.output)
    file_format = _file_format(out, settings.bits)
    from dsp.finishing_stream import streamable

    with progress(f"Finishing {Path(args.input).name}", total=None, quiet=args.json) as bar:
        if streamable(settings) is None:
            result: Any = _finish_in_blocks(info, out, file_format, settings)
        else:
            result = _finish_whole(args.input, out, file_format, settings, bar)

    report = {
        "input": str(args.input),
        "output": str(out),
        "sample_rate": result.rate_hz,
        "bits": result.bits,
        "dither": settings.dither if settings.bits != 32 else "none",
        "gain_db": round(result.gain_db, 3),
        "max_gain_reduction_db": round(result.max_gain_reduction_db, 3),
        "integrated_lufs": None if result.integrated_lufs is None else round(result.integrated_lufs, 2),
        "true_peak_dbtp": None if result.true_peak_dbtp is None else round(result.true_peak_dbtp, 2),
        "ceiling_dbtp": settings.ceiling_dbtp,
        "lufs_target": settings.lufs_target,
        "lufs_unreachable_by_lu": None
        if result.lufs_unreachable_by_lu is None
        else round(result.lufs_unreachable_by_lu, 2),
    }
    if args.json:
        print(json.dumps(report))
        return 0
    loud = "-" if result.integrated_lufs is None else f"{result.integrated_lufs:+.1f} LUFS"
    peak = "-" if result.true_peak_dbtp is None else f"{result.true_peak_dbtp:+.2f} dBTP"
    print(f"wrote {out} ({result.rate_hz} Hz, {settings.bits}-bit, dither {report['dither']})")
    print(f"gain {result.gain_db:+.2f} dB, limiter max reduction {result.max_gain_reduction_db:.2f} dB")
    print(f"result {loud}, true peak {peak} (ceiling {settings.ceiling_dbtp:+.1f} dBTP)")
    if result.lufs_unreachable_by_lu is not None:
        print(
            f"target {settings.lufs_target:+.1f} LUFS is unreachable under a {settings.ceiling_dbtp:+.1f} dBTP "
            f"ceiling: the result is {result.lufs_unreachable_by_lu:.1f} LU short"
        )
    return 0


def _finish_in_blocks(info: Any, out: Path, file_format: str, settings: FinishSettings) -> Any:
    """Read, finish and write block by block (memory: one limiter segment, whatever the length). A
    loudness target takes passes over the file: one to measure it, one per gain tried (as
    dsp.finishing.finish tries them), and the last one writes."""
    import soundfile as sf

    from dsp.finishing import loudness_passes
    from dsp.finishing_stream import FinishStream
    from dsp.loudness import LoudnessMeter
    from dsp.resample import Resampler
    from hybrid.audiofile import audio_blocks
    from hybrid.interrupts import checkpoint  # Ctrl-C stops between blocks: hours of audio are many steps

    def chain_at(gain_db: float) -> FinishStream:
        return FinishStream(info.rate_hz, info.channels, settings, frames=info.frames, gain_db=gain_db)

    def measured(gain_db: float) -> tuple[float | None, Any]:
        chain = chain_at(gain_db)
        for block in audio_blocks(info, dtype="float64"):
            checkpoint()
            chain.process(block)
        readings = chain.finish()[1]
        return readings.integrated_lufs, readings

    gain_db, unreachable = 0.0, None
    if settings.lufs_target is not None:
        converter = Resampler(info.rate_hz, int(settings.rate_hz or info.rate_hz), info.channels)
        meter = LoudnessMeter(converter.rate_out, info.channels)
        for block in audio_blocks(info, dtype="float64"):
            checkpoint()
            meter.process_checked(converter.process_checked(block))
        meter.process_checked(converter.finish())
        try:
            _, _, unreachable, last_pass = loudness_passes(meter.finish().integrated_lufs, settings, measured)
            gain_db = last_pass.gain_db  # the gain the kept pass was measured at
        except ValueError as exc:  # e.g. a loudness target for a silent file
            raise HybridError(f"{info.path}: {exc}") from exc
    chain = chain_at(gain_db)
    done: list[Any] = []

    def write(tmp: Path) -> None:
        with sf.SoundFile(str(tmp), "w", samplerate=chain.rate_out, channels=info.channels, format=file_format,
                          subtype=_SUBTYPES[settings.bits]) as sink:
            for block in audio_blocks(info, dtype="float64"):
                checkpoint()  # the temporary file is removed; the master is never half-written
                sink.write(chain.process(block))
            last, readings = chain.finish()
            sink.write(last)
            done.append(dataclasses.replace(readings, lufs_unreachable_by_lu=unreachable))

    write_atomic_with(out, write)
    return done[0]


def _finish_whole(source: str, out: Path, file_format: str, settings: FinishSettings, bar: Any) -> Any:
    """The whole programme in memory: a loudness target is met over whole passes (see streamable)."""
    import soundfile as sf  # with the dsp stack, loaded only when the command runs

    from dsp.finishing import finish
    from hybrid.audiofile import read_audio

    audio, rate = read_audio(source)
    try:
        result = finish(audio, rate, settings)
    except ValueError as exc:  # e.g. a loudness target for a silent file
        raise HybridError(f"{source}: {exc}") from exc
    bar.describe(f"Writing {out.name}")
    write_atomic_with(out, lambda tmp: sf.write(str(tmp), result.pcm, result.rate_hz, format=file_format,
                                                subtype=_SUBTYPES[settings.bits]))
    return result
