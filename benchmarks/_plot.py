"""The suite's chart: each column's time over the hand kernel's, per family and batch size."""

from __future__ import annotations

from pathlib import Path

COLORS = {"metricdsl": "#1f77b4", "metricdsl_jit": "#6baed6", "keras_eager": "#d62728",
          "keras_jit": "#ff9896", "torchmetrics": "#9467bd", "metrax": "#2ca02c",
          "numpy": "#8c564b", "sklearn": "#7f7f7f"}


def ratio_chart(rows: list[dict], path: Path, meta: dict) -> None:
    """Horizontal bars of ``time / hand time`` (log scale; 1 = the hand kernel), one panel
    per batch size; dashed lines mark the targets (1.3 at batch 32, 1/0.9 large)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("batch 32", [r for r in rows if r["N"] == 32], 1.3),
              ("large batch (10^6; 262,144 for AUC and (N, 10) inputs)",
               [r for r in rows if r["N"] > 32], 1 / 0.9)]
    columns = [c for c in COLORS if any(f"{c}/hand" in r for r in rows)]
    rows_per_panel = max(len(p[1]) for p in panels)
    fig, axes = plt.subplots(1, 2, figsize=(13, 1.5 + 0.11 * rows_per_panel * len(columns)))
    height = 0.8 / len(columns)
    for ax, (title, panel, goal) in zip(axes, panels):
        for i, column in enumerate(columns):
            ys = [j + i * height for j in range(len(panel))]
            ax.barh(ys, [r.get(f"{column}/hand", 0) for r in panel], height,
                    color=COLORS[column], label=column)
        ax.set_yticks([j + 0.4 - height / 2 for j in range(len(panel))],
                      [r["metric"] for r in panel])
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.axvline(1, color="black", linewidth=1)
        ax.axvline(goal, color="black", linestyle="--", linewidth=1)
        ax.set_title(title)
        ax.set_xlabel("time per update / hand jax.jit kernel (log; lower is faster)")
        ax.grid(axis="x", which="both", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(columns), fontsize=9)
    fig.suptitle(f"metricdsl benchmark suite — {meta['date']}, {meta['cpus']} CPU cores, "
                 f"jax {meta['jax']} ({meta['devices'][0]}); dashed: target", fontsize=11)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
