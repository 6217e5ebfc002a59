"""Digests of everything hybrid makes, to prove a refactor left every output bit-identical.

    python3 -m bench.outputs_digest OUT.json [--keep DIR]

runs `python3 -m hybrid demo --out DIR` (a fresh state folder, so calibration is measured anew)
and digests every file it wrote, then runs the bench programmes (the demo songs at the bench's
rates) through `dsp.finishing.finish` and `dsp.meter.analyze`. Run it on a commit and on its
parent (as `python3 bench/outputs_digest.py`, with PYTHONPATH at the tree to digest) and compare the two files: `python3 -m bench.outputs_digest --compare A.json B.json`.

What a digest leaves out is only what holds a time or a path: values under keys ending in `_at`
and the recall's `elapsed_s`, ISO timestamps in text, the output folder's path, the bext chunk's
origination date and time. Audio, PCM, DDP, fingerprints and report data are digested whole.
Not a bench row producer (no `run()`): `python -m bench` does not pick it up.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# keys whose values are wall-clock times or durations of the run, not data
_TIME_KEY = re.compile(r"(_at|^at|^elapsed_s|^generated_at|^started|^finished)$")
# hashes of files that hold times (session.yaml, a revision): they differ from run to run
_TIMED_HASH_KEY = re.compile(r"^(session_yaml_sha256|parent_sha256|previous_sha256)$")
_TIMED_HASH_LINE = re.compile(rb"^(parent_sha256|previous_sha256|session_yaml_sha256): *[0-9a-f]{64}$", re.M)
# the software's own path (print.json's software.argv): the tree that ran, not an output
_TREE = re.compile(r"[^\s\"'<>]{0,300}/hybrid/__main__\.py")  # bounded: report.html holds long base64 runs
_ISO = re.compile(rb"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?")
_BEXT_DATE = slice(320, 338)  # OriginationDate (10) + OriginationTime (8) in the bext payload


def _json_clean(value: Any, out: str, parent: str = "") -> Any:
    if isinstance(value, dict):
        return {k: ("<time>" if _TIME_KEY.search(k) or _TIMED_HASH_KEY.search(k)
                    or (parent == "revision" and k == "sha256") else _json_clean(v, out, k))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_json_clean(v, out, parent) for v in value]
    if isinstance(value, str):
        return _TREE.sub("<tree>/hybrid/__main__.py", value.replace(out, "<out>"))
    return value


def _riff_clean(data: bytes) -> bytes:
    """The RIFF file with the bext chunk's origination date and time, and the PEAK chunk's time stamp
    (libsndfile writes one into every float WAV), blanked."""
    if data[:4] not in (b"RIFF", b"RF64") or data[8:12] != b"WAVE":
        return data
    out = bytearray(data)
    pos = 12
    while pos + 8 <= len(data):
        kind, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if kind == b"bext":
            start = pos + 8
            out[start + _BEXT_DATE.start:start + _BEXT_DATE.stop] = b"\0" * (_BEXT_DATE.stop - _BEXT_DATE.start)
        elif kind == b"PEAK":  # version (4 bytes), then the time stamp (4 bytes)
            out[pos + 12:pos + 16] = b"\0" * 4
        pos += 8 + size + (size & 1)
    return bytes(out)


def digest_file(path: Path, out: str) -> str:
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".json":
        doc = json.loads(data)
        if path.name == "manifest.json":  # hashes of files that hold times: keep the list of names only
            doc = sorted(doc.get("files", doc)) if isinstance(doc, dict) else doc
        data = json.dumps(_json_clean(doc, out), sort_keys=True).encode()
    elif suffix == ".jsonl":  # the session's change log: one JSON document a line
        data = b"\n".join(json.dumps(_json_clean(json.loads(line), out), sort_keys=True).encode()
                          for line in data.splitlines() if line.strip())
    elif suffix in (".wav", ".bwf"):
        data = _riff_clean(data)
    elif suffix in (".txt", ".html", ".yaml", ".cue", ".svg", ".log", ""):
        data = _ISO.sub(b"<time>", data.replace(out.encode(), b"<out>"))
        data = _TIMED_HASH_LINE.sub(rb"\1: <hash>", data)
        data = re.sub(_TREE.pattern.encode(), b"<tree>/hybrid/__main__.py", data)
    return hashlib.sha256(data).hexdigest()


def folder_digests(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): digest_file(p, str(out))
            for p in sorted(out.rglob("*")) if p.is_file() and p.name != ".lock"}


def demo_digests() -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="hybrid-digest-") as tmp:
        out = Path(tmp) / "demo"
        env = {**os.environ, "XDG_STATE_HOME": str(Path(tmp) / "state")}
        # cwd=tmp: `-m hybrid` must find the tree PYTHONPATH names, not one in the caller's folder
        subprocess.run([sys.executable, "-m", "hybrid", "demo", "--out", str(out), "--json"], env=env,
                       check=True, stdout=subprocess.DEVNULL, cwd=tmp)
        return folder_digests(out)


def programme_digests() -> dict[str, str]:
    import numpy as np

    from dsp.finishing import FinishSettings, finish
    from dsp.meter import analyze
    try:
        from dsp.programme import SONGS, render_song
    except ImportError:  # a tree from before the songs moved into dsp (to digest the parent)
        from hybrid.demo import SONGS, render_song  # type: ignore[no-redef]

    found: dict[str, str] = {}
    settings = {
        "default": FinishSettings(),
        "streaming": FinishSettings(ceiling_dbtp=-1.0, lufs_target=-14.0, bits=24),
        "cd": FinishSettings(ceiling_dbtp=-0.3, lufs_target=-9.0, rate_hz=44100, bits=16, dither="tpdf"),
        "hires-shaped": FinishSettings(ceiling_dbtp=-1.0, rate_hz=96000, bits=24, dither="shaped"),
        "no-limiter": FinishSettings(lufs_target=-20.0, limiter=False, bits=32),
    }
    for rate in (44100, 48000, 96000):
        for n, song in enumerate(SONGS):
            mix = render_song(song, rate=rate, seed=n + 1)
            name = f"{song.slug}@{rate}"
            found[f"{name}/mix"] = hashlib.sha256(mix.tobytes()).hexdigest()
            found[f"{name}/analyze"] = hashlib.sha256(
                json.dumps(analyze(mix, rate).to_dict(), sort_keys=True).encode()).hexdigest()
            for label, finishing in settings.items():
                result = finish(mix * 2.0, rate, finishing, seed=7)
                figures = [result.rate_hz, result.bits, result.gain_db, result.max_gain_reduction_db,
                           result.integrated_lufs, result.true_peak_dbtp, result.lufs_unreachable_by_lu]
                found[f"{name}/finish-{label}"] = hashlib.sha256(
                    np.ascontiguousarray(result.pcm).tobytes() + json.dumps(figures).encode()).hexdigest()
    return found


def compare(a: Path, b: Path) -> int:
    first, second = json.loads(a.read_text()), json.loads(b.read_text())
    differ = sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))
    for key in differ:
        print(f"differs: {key}: {first.get(key, '(missing)')[:12]} vs {second.get(key, '(missing)')[:12]}")
    print(f"{len(first.keys() | second.keys()) - len(differ)} identical, {len(differ)} differ")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python3 -m bench.outputs_digest")
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("A", "B"))
    parser.add_argument("--folder", type=Path, help="digest this folder (a demo's --out) instead of running")
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare)
    if args.folder:
        args.out.write_text(json.dumps(folder_digests(args.folder), indent=1, sort_keys=True) + "\n")
        return 0
    if args.out is None:
        parser.error("OUT.json or --compare A B")
    digests = {f"demo/{k}": v for k, v in demo_digests().items()}
    digests.update({f"programme/{k}": v for k, v in programme_digests().items()})
    args.out.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
    print(f"{len(digests)} digests -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
