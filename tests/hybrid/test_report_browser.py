"""The HTML report opens in a real browser (headless Chromium), offline, with every plot loaded."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hybrid.report import write_report
from tests.hybrid.test_report_plots import print_dir, written  # noqa: F401  (module-scoped fixtures)

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)

# Appended to a copy of the report: after load, count the images that decoded to real pixels.
_PROBE = """<script>
window.addEventListener('load', function () {
  var all = Array.prototype.slice.call(document.images);
  var ok = all.filter(function (i) { return i.complete && i.naturalWidth > 0 && i.naturalHeight > 0; });
  document.body.setAttribute('data-images-loaded', ok.length + '/' + all.length);
});
</script>"""


def _need_browser() -> str:
    if CHROMIUM is None:
        if os.environ.get("HYBRID_REQUIRE_BROWSER") == "1":
            pytest.fail("HYBRID_REQUIRE_BROWSER=1 but chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); set HYBRID_REQUIRE_BROWSER=1 to fail instead")
    return CHROMIUM


def _dump_dom(html_file: Path, profile: Path) -> str:
    command = [
        _need_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
        "--virtual-time-budget=5000", "--dump-dom", html_file.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done.stdout


@pytest.mark.slow
def test_every_plot_loads_in_headless_chromium(written: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    probe = tmp_path / "report-probe.html"
    html = written["html"].read_text()
    probe.write_text(html.replace("</body>", _PROBE + "</body>"))
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    dom = _dump_dom(probe, profile)
    marker = re.search(r'data-images-loaded="(\d+)/(\d+)"', dom)
    assert marker, "the page did not finish loading in chromium"
    loaded, total = int(marker.group(1)), int(marker.group(2))
    assert total == html.count("<img") == 4
    assert loaded == total
    assert "Mastering report: Plots EP" in dom


@pytest.mark.slow
def test_a_broken_image_is_caught_by_the_same_probe(tmp_path: Path) -> None:
    # The probe must be able to fail: a report whose PNG is corrupt shows 0 of 1 loaded.
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><img src="data:image/png;base64,iVBORw0KGgoAAAAbroken">'
                    + _PROBE + "</body></html>")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    dom = _dump_dom(page, profile)
    assert 'data-images-loaded="0/1"' in dom


def test_report_without_plots_has_no_images(tmp_path: Path) -> None:
    paths = write_report(tmp_path, {"session": {"title": "x"}}, plots=False)
    assert "<img" not in paths["html"].read_text()
