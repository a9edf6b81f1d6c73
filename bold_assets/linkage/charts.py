"""Linkage charts: Splink's own (HTML, and PNG for the UI) and matplotlib PNGs of quality."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pandas as pd

SPLINK_TITLE = "partial match weights (components of the final match weight)"


def _splink_chart(model: dict[str, Any], name: str):
    """Splink's match weights chart of a saved model, titled with the model's name."""
    from splink import SettingsCreator

    chart = SettingsCreator.from_path_or_dict(model).get_settings("duckdb").match_weights_chart()
    splink_spec = chart.alter_spec_from_data  # the hook Splink's chart_dict passes its spec to

    def titled(spec: dict[str, Any]) -> dict[str, Any]:
        spec = splink_spec(spec)
        title = spec.get("title")  # Splink's: its text and "Use mousewheel to zoom"
        spec["title"] = {**(title if isinstance(title, dict) else {}),
                         "text": f"{name}: {SPLINK_TITLE}"}
        return spec

    chart.alter_spec_from_data = titled
    return chart


def splink_match_weights_html(model: dict[str, Any], name: str, path: Path) -> Path:
    """Splink's interactive match weights chart of a saved model (`name`), as a self-contained
    HTML file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # print_msg=False: else Splink prints "Chart saved to" and a Jupyter IFrame snippet
    _splink_chart(model, name).save_offline_chart(str(path), overwrite=True, print_msg=False)
    return path


def splink_match_weights_spec(model: dict[str, Any], name: str) -> dict[str, Any]:
    """The Vega-Lite spec of Splink's match weights chart of model `name`, for a static image:
    titled with the model, without the interactive chart's "Use mousewheel to zoom"."""
    spec = _splink_chart(model, name).chart_dict
    spec["title"].pop("subtitle", None)
    return spec


def splink_match_weights_png(model: dict[str, Any], name: str, path: Path) -> bytes:
    """Splink's own match weights chart of model `name` rendered to PNG (the spec above, via
    vl-convert), so the UI shows it inline. A model version never changes: an existing file is
    reused."""
    if path.exists():
        return path.read_bytes()
    import vl_convert

    png = vl_convert.vegalite_to_png(splink_match_weights_spec(model, name), scale=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return png


def _figure(width: float = 7.0, height: float = 4.0):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height), dpi=90)


def _save(fig, path: Path | None) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    png = buf.getvalue()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
    return png


def markdown_image(png: bytes, alt: str) -> str:
    """Markdown embedding a PNG (Dagster renders it in the asset's metadata)."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"


def f1_by_scope_png(f1: pd.DataFrame, path: Path | None = None) -> bytes:
    """Precision / recall / F1 per threshold for the overall and source-group scopes."""
    df = f1[f1["scope_type"].isin(["overall", "group"])]
    fig, axes = _figure(8, 3.2)
    fig.clf()
    scopes = list(dict.fromkeys(df["scope"]))
    for i, scope in enumerate(scopes):
        ax = fig.add_subplot(1, len(scopes), i + 1)
        d = df[df["scope"] == scope]
        x = range(len(d))
        ax.bar([j - 0.25 for j in x], d["precision"], width=0.25, label="precision")
        ax.bar(list(x), d["recall"], width=0.25, label="recall")
        ax.bar([j + 0.25 for j in x], d["f1"], width=0.25, label="F1")
        ax.set_xticks(list(x), d["threshold"])
        ax.set_ylim(0, 1.02)
        ax.set_title(scope, fontsize=9)
        if i == 0:
            ax.legend(fontsize=7, loc="lower left")
    return _save(fig, path)


def subgroup_png(table: pd.DataFrame, threshold: str, path: Path | None = None) -> bytes:
    """F1, false-match and missed-match rates by subgroup at one threshold."""
    df = table[table["threshold"] == threshold]
    dims = list(dict.fromkeys(df["dimension"]))
    fig, _ = _figure(10, 2.6 * len(dims))
    fig.clf()
    for i, dim in enumerate(dims):
        d = df[df["dimension"] == dim]
        ax = fig.add_subplot(len(dims), 2, 2 * i + 1)
        ax.barh(d["subgroup"], d["f1"].fillna(0), color="#2a7ab0")
        ax.set_xlim(max(0.0, float(d["f1"].min(skipna=True) or 0) - 0.1), 1.0)
        ax.set_title(f"pairwise F1 by {dim}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax2 = fig.add_subplot(len(dims), 2, 2 * i + 2)
        y = range(len(d))
        ax2.barh([j + 0.2 for j in y], d["missed_match_rate"].fillna(0), height=0.4,
                 label="missed match", color="#c0504d")
        ax2.barh([j - 0.2 for j in y], d["false_match_rate"].fillna(0), height=0.4,
                 label="false match", color="#f0ad4e")
        ax2.set_yticks(list(y), d["subgroup"])
        ax2.set_title(f"record error rates by {dim}", fontsize=9)
        ax2.tick_params(labelsize=7)
        if i == 0:
            ax2.legend(fontsize=7)
    return _save(fig, path)


def threshold_png(curve: pd.DataFrame, path: Path | None = None) -> bytes:
    """Edge-level precision / recall / F1 against the match-probability threshold."""
    fig, ax = _figure(6.5, 3.5)
    for col in ("precision", "recall", "f1"):
        ax.plot(curve["threshold_probability"], curve[col], marker="o", markersize=3, label=col)
    ax.set_xlabel("match probability threshold")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    ax.set_title("Scored pairs against truth, by threshold")
    return _save(fig, path)
