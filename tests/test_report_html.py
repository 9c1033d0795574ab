"""The HTML scrutiny report: one self-contained page (no script, no external asset, no network) with charts
beside tables, and it renders in a real headless Chromium into a screenshot that is not blank.

The browser test needs /usr/bin/chromium (Debian's `chromium` package; `.ci/run` installs it). Locally it
skips with one line saying how to run it, unless REVIEWFLOW_TEST_BROWSER=1 (set by `.ci/run`) demands it:
then a missing browser fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from reviewflow.cli import cli

BROWSER_FLAG = "REVIEWFLOW_TEST_BROWSER"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("html")
    db, page = folder / "leeds.db", folder / "scrutiny.html"
    for args in (["import-cohort", "leeds-2021-22"],
                 ["report", "scrutiny", "--from", "2021-05-01", "--to", "2022-12-31", "--format", "html",
                  "--output", str(page)]):
        result = CliRunner().invoke(cli, [*args, "--db", str(db)])
        assert result.exit_code == 0, result.output
    return page


def test_the_page_is_self_contained_and_accessible(html: Path) -> None:
    text = html.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<html lang="en-GB">' in text
    assert not re.search(r"<script|<link|<img|@import|url\(|https?://", text), "nothing may leave the file"
    assert text.count("<svg") == text.count("<table>") >= 8  # every chart has its table beside it
    assert text.count('role="img"') == text.count("<svg") and "<title id=" in text and "<desc id=" in text
    assert '<th scope="row">under 1</th><td class="n">2</td>' in text
    assert "Counting rule." in text and "Suppression." in text


def _chromium() -> str | None:
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def _blank(png: Path) -> bool:
    from PIL import Image

    with Image.open(png) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    return colours is None or len(colours) < 3  # None: more colours than counted, surely not blank


def test_the_page_renders_in_headless_chromium(html: Path, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        if os.environ.get(BROWSER_FLAG) == "1":
            pytest.fail(f"{BROWSER_FLAG}=1 but no Chromium was found: apt-get install -y chromium")
        pytest.skip(f"no Chromium: apt-get install -y chromium, then run again (or set {BROWSER_FLAG}=1 to require it)")
    shot = tmp_path / "scrutiny.png"
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
               f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,2000",
               html.resolve().as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert shot.exists(), f"Chromium wrote no screenshot (exit {result.returncode}):\n{result.stderr[-2000:]}"
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1200, 2000)
    assert not _blank(shot), "the screenshot is blank"
