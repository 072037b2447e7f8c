"""Train a flax NNX classifier with optax; track metrics with md.nnx.Metrics inside nnx.jit.

Needs the ``nnx`` extra and optax: ``pip install "metricdsl[examples]"``.
Run: ``python examples/flax_training.py [--epochs N]``.

The training metrics (accuracy, AUC, the mean loss) live in an
``md.nnx.Metrics`` module, updated in place by the jitted step beside the
model and the optimizer. Validation runs ``md.evaluate`` (its Keras progress
line on stderr); ``md.History`` keeps the epochs. The last line recomputes the
final validation accuracy with numpy, as a check.
"""

from __future__ import annotations

import argparse

import jax
import numpy as np
import optax
from flax import nnx

import metricdsl as md


def make_data(n: int, seed: int):
    """Two noisy interleaved half-moons: x of shape (n, 2), labels of shape (n, 1)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.stack([np.cos(t) + label * 1.0, np.sin(t) * (1 - 2 * label) + label * 0.4], axis=1)
    x = x + rng.normal(scale=0.15, size=x.shape)
    return x.astype("float32"), label[:, None].astype("float32")


class MLP(nnx.Module):
    """2 -> 32 -> 32 -> 1: the logit of class 1."""

    def __init__(self, rngs: nnx.Rngs):
        self.hidden = nnx.Linear(2, 32, rngs=rngs)
        self.middle = nnx.Linear(32, 32, rngs=rngs)
        self.out = nnx.Linear(32, 1, rngs=rngs)

    def __call__(self, x):
        return self.out(jax.nn.relu(self.middle(jax.nn.relu(self.hidden(x)))))


def loss_fn(model: MLP, x, y):
    """Binary cross-entropy, with the probabilities as auxiliary output (for the metrics)."""
    logits = model(x)
    return optax.sigmoid_binary_cross_entropy(logits, y).mean(), jax.nn.sigmoid(logits)


@nnx.jit
def train_step(model: MLP, optimizer: nnx.Optimizer, metrics: md.nnx.Metrics, x, y):
    (loss, y_pred), grads = nnx.value_and_grad(loss_fn, has_aux=True)(model, x, y)
    optimizer.update(model, grads)
    metrics.update(y, y_pred, loss=loss)


def main(epochs: int = 6, batch_size: int = 64) -> md.History:
    x_train, y_train = make_data(2048, seed=0)
    x_val, y_val = make_data(512, seed=1)
    model = MLP(nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, optax.adam(1e-2), wrt=nnx.Param)
    metrics = md.nnx.Metrics(["accuracy", md.metric_auc(name="auc")], track=["loss"],
                             y_true=y_train[:batch_size], y_pred=y_train[:batch_size])
    predict = nnx.jit(lambda model, x: jax.nn.sigmoid(model(x)))
    history = md.History()
    steps = len(x_train) // batch_size
    for epoch in range(epochs):
        order = np.random.default_rng(epoch).permutation(len(x_train))
        metrics.reset()
        for step in range(steps):
            idx = order[step * batch_size:(step + 1) * batch_size]
            train_step(model, optimizer, metrics, x_train[idx], y_train[idx])
        val_batches = [(x_val[i:i + batch_size], y_val[i:i + batch_size])
                       for i in range(0, len(x_val), batch_size)]
        val_logs = md.evaluate(["accuracy", "bce"], val_batches,
                               predict=lambda x: predict(model, x))
        history.append(metrics.compute(), val_logs=val_logs)
    print(history)
    y_pred = np.asarray(predict(model, x_val))
    print(f"numpy check: val_accuracy={np.mean((y_pred > 0.5) == (y_val == 1)):.6f}")
    return history


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    main(epochs=parser.parse_args().epochs)
