"""Figures written next to runs and reports (headless: the Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_learning_curve(history: list[dict], path: str | Path) -> None:
    """Training loss and dev scores per epoch."""
    epochs = [record["epoch"] for record in history]
    figure, (loss_axis, score_axis) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axis.plot(epochs, [record["train_loss"] for record in history], marker="o")
    loss_axis.set(title="training loss", xlabel="epoch")
    for metric in ("entity_f1", "relation_f1", "status_accuracy"):
        if metric in history[0]:
            score_axis.plot(epochs, [record[metric] for record in history], marker="o", label=metric)
    score_axis.set(title="dev", xlabel="epoch", ylim=(0, 1))
    if score_axis.lines:
        score_axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_confusion(matrix: list[list[int]], labels: list[str], path: str | Path) -> None:
    """Counts of gold (rows) against predicted (columns) labels."""
    figure, axis = plt.subplots(figsize=(6, 5))
    axis.imshow(matrix, cmap="Blues")
    axis.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axis.set_yticks(range(len(labels)), labels)
    axis.set(xlabel="predicted", ylabel="gold", title="entity labels (exact spans)")
    peak = max(max(row) for row in matrix) or 1
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            axis.text(j, i, value, ha="center", va="center", color="white" if value > peak / 2 else "black")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
