"""The PDF has the expected pages, each renders (poppler's pdftoppm), and it is labelled synthetic."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install poppler-utils")
    return path


def test_pages_render(outputs, tmp_path) -> None:
    pdf = outputs["es"]["pdf"]
    info = subprocess.run([_tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    # cover + key figures, coverage, stock, regions, who, 4 survey sections (each with its region's
    # table), comunas, disease burden, flows, methods (and overflow pages)
    assert 12 <= pages <= 28
    subprocess.run([_tool("pdftoppm"), "-r", "20", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == pages
    assert all(p.stat().st_size > 1000 for p in pngs)


def test_pdf_text(outputs) -> None:
    text = subprocess.run([_tool("pdftotext"), "-layout", str(outputs["es"]["pdf"]), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "DATOS SINTÉTICOS" in text
    assert "189.524" in text and "32.842" in text
    for heading in ("Qué cubren las fuentes", "Cuántos y desde cuándo", "Dónde viven", "Quiénes son", "Mercado laboral", "Salud",
                    "Pobreza", "Comunas: Antofagasta", "Métodos y fuentes"):
        assert heading in text, heading
