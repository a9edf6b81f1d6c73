"""Charts of the estimates: per measure, naive vs corrected intervals for each LAD (and the truth
where the evaluation has it)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pandas as pd

from bold_assets import register


def interval_chart(lad: pd.DataFrame, wave: int, truth_column: str | None = None) -> bytes:
    """Small multiples, one panel per measure: each LAD's naive rate with its binomial interval
    (grey) and the estimate with its 90% interval (blue); the truth as a red dot if given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = register.measure_names()
    measures = list(dict.fromkeys(lad["measure"]))
    cols = 4
    rows = max(1, -(-len(measures) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    for ax, m in zip(axes.flat, measures, strict=False):
        d = lad[lad["measure"] == m].sort_values("area_code")
        v = {c: d[c].astype(float).to_numpy() for c in (
            "naive_rate", "naive_lower", "naive_upper", "estimate", "lower", "upper")}
        x = np.arange(len(d), dtype=float)
        ax.errorbar(x - 0.15, v["naive_rate"], yerr=[v["naive_rate"] - v["naive_lower"],
                                                     v["naive_upper"] - v["naive_rate"]],
                    fmt="o", ms=3, color="grey", label="naive (flag, binomial)")
        ax.errorbar(x + 0.15, v["estimate"], yerr=[v["estimate"] - v["lower"],
                                                   v["upper"] - v["estimate"]],
                    fmt="o", ms=3, color="tab:blue", label="estimate (90%)")
        if truth_column:
            ax.plot(x + 0.15, d[truth_column].astype(float).to_numpy(), "x", color="tab:red",
                    ms=5, label="truth")
        ax.set_title(names.get(m, m), fontsize=9)
        ax.set_xticks([])
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(measures):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"Wave {wave}: prevalence by LAD (one point per LAD, suppressed ones left out)",
                 fontsize=10)
    fig.subplots_adjust(hspace=0.35, wspace=0.25, top=0.92)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=70)
    plt.close(fig)
    return buf.getvalue()


def markdown(png: bytes, alt: str) -> str:
    """The chart as a Markdown image (for the UI's metadata)."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"


def reports_dir(warehouse_file: str | Path) -> Path:
    """`reports/` beside the warehouse (charts and checkers' reports; not published)."""
    d = Path(warehouse_file).resolve().parent / "reports"
    d.mkdir(parents=True, exist_ok=True)
    return d


def save(warehouse_file: str | Path, name: str, png: bytes) -> Path:
    """Write the chart to `reports/` beside the warehouse."""
    path = reports_dir(warehouse_file) / name
    path.write_bytes(png)
    return path
