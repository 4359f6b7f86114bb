"""The figures of a model report, as PNG bytes (matplotlib's object interface: no display, no global state):
ROC, calibration, decision curve, Kaplan-Meier by risk group, time-dependent AUC, SHAP summary and the nomogram."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from hepatica.model.calibration import Calibration, net_benefit, net_benefit_treat_all
from hepatica.model.clinical import Nomogram
from hepatica.model.explain import Explanation
from hepatica.model.survival import RiskGroupCurves


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def roc_plot(y, probabilities, label: str) -> bytes:
    fpr, tpr, _ = roc_curve(y, probabilities)
    figure = Figure(figsize=(4.2, 4.2))
    ax = figure.subplots()
    ax.plot(fpr, tpr, color="#b03a2e", label=label)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="chance")
    ax.set(xlabel="1 - specificity", ylabel="sensitivity", title="ROC", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="lower right", fontsize=8)
    return _png(figure)


def calibration_plot(calibration: Calibration) -> bytes:
    figure = Figure(figsize=(4.2, 4.2))
    ax = figure.subplots()
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="ideal")
    ax.plot(
        calibration.predicted,
        calibration.observed,
        "o-",
        color="#1f618d",
        label=f"slope {calibration.slope:.2f}, intercept {calibration.intercept:.2f}",
    )
    ax.set(
        xlabel="predicted probability", ylabel="observed rate", title="Calibration (deciles)", xlim=(0, 1), ylim=(0, 1)
    )
    ax.legend(loc="upper left", fontsize=8)
    return _png(figure)


def decision_curve_plot(y, probabilities) -> bytes:
    thresholds = np.linspace(0.01, 0.8, 80)
    figure = Figure(figsize=(5.0, 4.2))
    ax = figure.subplots()
    model = net_benefit(y, probabilities, thresholds)
    everyone = net_benefit_treat_all(y, thresholds)
    ax.plot(thresholds, model, color="#b03a2e", label="model")
    ax.plot(thresholds, everyone, color="#7d7d7d", label="treat all")
    ax.axhline(0, color="black", linewidth=0.8, label="treat none")
    ax.set(
        xlabel="threshold probability",
        ylabel="net benefit",
        title="Decision curve",
        ylim=(min(-0.05, float(model.min())), max(0.05, float(np.max(everyone)) * 1.1, float(model.max()) * 1.1)),
    )
    ax.legend(fontsize=8)
    return _png(figure)


def kaplan_meier_plot(curves: RiskGroupCurves) -> bytes:
    figure = Figure(figsize=(5.0, 4.2))
    ax = figure.subplots()
    for name, t, s, n in zip(curves.groups, curves.times, curves.survival, curves.counts):
        ax.step(np.r_[0, t], np.r_[1, s], where="post", label=f"{name} (n = {n})")
    ax.set(
        xlabel="months",
        ylabel="event-free probability",
        ylim=(0, 1.02),
        title=f"Kaplan-Meier by risk group (log-rank p = {curves.log_rank_p:.2g})",
    )
    ax.legend(fontsize=8)
    return _png(figure)


def time_auc_plot(times, auc) -> bytes:
    figure = Figure(figsize=(4.6, 3.6))
    ax = figure.subplots()
    ax.plot(times, auc, "o-", color="#1f618d")
    ax.axhline(0.5, color="grey", linestyle=":")
    ax.set(xlabel="months", ylabel="cumulative/dynamic AUC", ylim=(0.4, 1.0), title="Time-dependent AUC")
    return _png(figure)


def shap_plot(explanation: Explanation, top: int = 15) -> bytes:
    """Each patient's SHAP value per model input (the top inputs by mean |SHAP|), coloured by the input's value."""
    order = [explanation.names.index(n) for n, _ in explanation.importance()[:top]][::-1]
    figure = Figure(figsize=(6.5, 0.35 * len(order) + 1.2))
    ax = figure.subplots()
    rng = np.random.default_rng(0)
    for row, j in enumerate(order):
        values, data = explanation.values[:, j], explanation.data[:, j]
        spread = np.ptp(data) or 1.0
        ax.scatter(
            values,
            row + rng.uniform(-0.25, 0.25, len(values)),
            c=(data - data.min()) / spread,
            s=7,
            cmap="coolwarm",
            vmin=0,
            vmax=1,
        )
    ax.set_yticks(range(len(order)), [explanation.names[j] for j in order], fontsize=7)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set(xlabel=f"SHAP value ({explanation.units}); colour: input low (blue) to high (red)", title="SHAP")
    return _png(figure)


def nomogram_plot(nomogram: Nomogram) -> bytes:
    """Points axis, one axis per predictor, total points and predicted probability."""
    rows = len(nomogram.scales) + 3
    figure = Figure(figsize=(8.0, 0.55 * rows + 0.6))
    ax = figure.subplots()
    ax.set_xlim(-30, 105)
    ax.set_ylim(-rows, 1)
    ax.axis("off")

    def axis_line(y, positions, labels, name):
        ax.plot([min(positions), max(positions)], [y, y], color="black", linewidth=0.8)
        for x, text in zip(positions, labels):
            ax.plot([x, x], [y, y + 0.12], color="black", linewidth=0.8)
            ax.text(x, y + 0.18, text, ha="center", va="bottom", fontsize=6.5)
        ax.text(-29, y, name, ha="left", va="center", fontsize=8)

    axis_line(0, list(np.linspace(0, 100, 11)), [f"{v:.0f}" for v in np.linspace(0, 100, 11)], "Points")
    for i, scale in enumerate(nomogram.scales, start=1):
        positions, labels, last = [], [], -np.inf
        for x, value in sorted(zip(scale.points, scale.values)):
            if x - last >= 7 or not positions:  # labels closer than 7 points would overlap
                positions.append(x)
                labels.append(f"{value:.3g}" if isinstance(value, float) else str(value))
                last = x
            elif isinstance(value, str):  # categories close together share one tick
                labels[-1] += f"/{value}"
        axis_line(-i, positions, labels, scale.name)
    most = sum(max(s.points) for s in nomogram.scales)
    totals = np.linspace(0, most, 9)
    axis_line(-(rows - 2), list(totals / most * 100), [f"{t:.0f}" for t in totals], "Total points")
    probabilities = np.array([0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95])
    at = (np.log(probabilities / (1 - probabilities)) - nomogram.intercept) / nomogram.per_point
    keep = (at >= 0) & (at <= most)
    if keep.any():
        axis_line(-(rows - 1), list(at[keep] / most * 100), [f"{p:g}" for p in probabilities[keep]], "Probability")
    return _png(figure)
