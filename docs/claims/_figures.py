"""What the figure scripts of the claim pages share: the output folder and the PNG writer."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from PIL import Image

OUT = Path(__file__).parent / "img"
DPI = 110


def save(fig: Figure, claim_id: str) -> None:
    """Write ``img/<claim_id>.png`` (tight layout, 256-colour palette: a third of the size) and
    close the figure."""
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=DPI, format="png")
    plt.close(fig)
    buffer.seek(0)
    OUT.mkdir(exist_ok=True)
    Image.open(buffer).convert("RGB").quantize(256).save(OUT / f"{claim_id}.png", optimize=True)
