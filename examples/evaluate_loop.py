"""Evaluate a model over a stream of batches with md.evaluate; keep checkpoints in md.History.

Needs only metricdsl (``pip install metricdsl``). Run: ``python examples/evaluate_loop.py``.

The "model" is a fixed linear softmax classifier over 3 classes; the data an
endless generator of batches, so ``steps=`` says how many to draw (and gives
the progress line its total). The progress line (Keras's, on stderr) shows
the running accuracy and cross-entropy; the per-class F1 array is kept in the
results and in the History table, not in the line. The same classifier at
three softmax temperatures goes into one History: equal accuracy and F1 (the
argmax does not change), different cross-entropy (the confidence does).
"""

from __future__ import annotations

from collections.abc import Iterator

import jax
import numpy as np

import metricdsl as md

WEIGHTS = np.array([[2.0, -1.0, -1.0], [-1.0, 2.0, -1.0]], dtype="float32")
BIAS = np.array([0.0, 0.0, 0.5], dtype="float32")
STEPS, BATCH = 25, 64
TEMPERATURES = (2.0, 1.0, 0.5)


def stream(seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Endless ``(x, class id)`` batches: class 2 sits near the origin, 0 and 1 on the axes."""
    rng = np.random.default_rng(seed)
    centres = np.array([[1.5, 0.0], [0.0, 1.5], [0.0, 0.0]], dtype="float32")
    while True:
        labels = rng.integers(0, 3, BATCH)
        x = centres[labels] + rng.normal(scale=0.7, size=(BATCH, 2)).astype("float32")
        yield x, labels[:, None]


def model(temperature: float):
    """``x -> softmax((x W + b) / temperature)``, jitted."""
    return jax.jit(lambda x: jax.nn.softmax((x @ WEIGHTS + BIAS) / temperature, axis=-1))


def main() -> md.History:
    metrics = md.compile_metrics(["accuracy", "crossentropy",
                                  md.metric_multiclass_f1_score(3, average=None, name="f1")])
    history = md.History()
    for step, temperature in enumerate(TEMPERATURES):
        results = md.evaluate(metrics, stream(), predict=model(temperature), steps=STEPS)
        history.append(results, epoch=step)
    print(history)
    return history


if __name__ == "__main__":
    main()
