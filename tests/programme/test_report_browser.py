"""The report opens in headless Chromium with no console messages (no scripts, no missing resources)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from corridor.programme import db as dbm
from corridor.programme.report import write_report

from .conftest import programme


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: CI must install Debian's chromium for the browser tests")
        pytest.skip("chromium is not installed (apt-get install -y chromium) ")
    return exe


@pytest.mark.browser
def test_report_in_chromium_has_no_console_messages(demo_sqlite, tmp_path):
    exe = _chromium()
    with dbm.session_scope(demo_sqlite) as s:
        files = {lang: write_report(programme(s), tmp_path, lang, pdf=False) for lang in ("es", "fr", "en")}
    for lang, f in files.items():
        run = subprocess.run(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--enable-logging=stderr", "--v=0", "--dump-dom", f.html.as_uri()],
            capture_output=True, text=True, timeout=120, check=False)
        assert run.returncode == 0, run.stderr[-2000:]
        console = [ln for ln in run.stderr.splitlines() if ":CONSOLE" in ln]
        assert console == [], console
        assert f'<html lang="{lang}">' in run.stdout and 'id="progress"' in run.stdout
