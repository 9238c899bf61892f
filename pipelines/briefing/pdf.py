"""Prints a briefing's HTML to PDF with headless Chromium, the engine that honours its print styles.

Chromium renders the very HTML analysts open (inline SVG, @page size and margins, page-number boxes, page
breaks), so the PDF cannot drift from the web version. It is a system package (Debian: `apt-get install
chromium`); where it is missing the caller gets a ConfigError saying so, never a silently missing PDF.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from pipelines.errors import ConfigError, RadarError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Headless, no GPU, and none of Chromium's own background traffic (updates, sync, metrics, time queries):
# printing a self-contained file must not reach out anywhere.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability",
    "--no-first-run", "--no-default-browser-check", "--disable-features=NetworkTimeServiceQuerying,Translate",
    "--hide-scrollbars", "--mute-audio",
)


class PdfError(RadarError):
    """Chromium ran but produced no PDF; the message carries the end of its log."""

    exit_code = 6


def find_chromium(explicit: Path | str | None = None) -> Path:
    """The Chromium to print with: the given path, else the first Chromium on PATH; ConfigError with the fix."""
    if explicit:
        path = Path(explicit)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ConfigError(f"--chromium {explicit} is not an executable file: give the path of a Chromium or "
                          "Chrome binary (e.g. /usr/bin/chromium).")
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise ConfigError("Writing the PDF needs Chromium, which is not installed: on Debian/Ubuntu run "
                      "`apt-get install chromium` (./dev setup does this when run as root), or give its path with "
                      "--chromium / RADAR_CHROMIUM. Use --no-pdf to write only HTML and Markdown.")


def print_pdf(html_path: Path, pdf_path: Path, *, chromium: Path | str | None = None, timeout: float = 120) -> Path:
    """Print an HTML file to PDF (A4, page size and margins from its @page rule); atomic, like the other files."""
    binary = find_chromium(chromium)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = pdf_path.with_name(f".{pdf_path.name}.tmp")
    tmp.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="radar-chromium-") as profile:
        command = [str(binary), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
                   f"--print-to-pdf={tmp}", html_path.resolve().as_uri()]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                    env={**os.environ, "HOME": profile})
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"Chromium did not finish printing {html_path} within {timeout:.0f} s.") from exc
    if result.returncode != 0 or not tmp.exists() or tmp.read_bytes()[:5] != b"%PDF-":
        tmp.unlink(missing_ok=True)
        log = "\n".join((result.stderr or "").strip().splitlines()[-5:])
        raise PdfError(f"Chromium ({binary}) wrote no PDF for {html_path} (exit code {result.returncode}):\n{log}")
    tmp.replace(pdf_path)
    return pdf_path
