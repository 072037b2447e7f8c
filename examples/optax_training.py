"""Train a small JAX/optax MLP classifier and track metrics with a metricdsl collection.

Needs optax: ``pip install "metricdsl[examples]"``. Run: ``python examples/optax_training.py
[--epochs N]``.

The jitted training step updates a ``compile_metrics([...])`` collection
through its stateless API (the metric state is part of the step's carry),
together with the loss (a tracker declared with ``add_metric``). Validation
uses ``md.evaluate``; per-epoch results go into an ``md.History``.
"""

from __future__ import annotations

import argparse
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import optax

import metricdsl as md


def make_data(n: int, seed: int):
    """Two noisy interleaved half-moons: x of shape (n, 2), labels of shape (n, 1)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.stack([np.cos(t) + label * 1.0, np.sin(t) * (1 - 2 * label) + label * 0.4], axis=1)
    x = x + rng.normal(scale=0.15, size=x.shape)
    return x.astype("float32"), label[:, None].astype("float32")


def init_params(key, sizes=(2, 32, 32, 1)):
    params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        key, sub = jax.random.split(key)
        params.append((jax.random.normal(sub, (fan_in, fan_out)) * jnp.sqrt(2.0 / fan_in),
                       jnp.zeros(fan_out)))
    return params


def predict_proba(params, x):
    for w, b in params[:-1]:
        x = jax.nn.relu(x @ w + b)
    w, b = params[-1]
    return jax.nn.sigmoid(x @ w + b)


def loss_fn(params, x, y):
    """Binary cross-entropy, with the predictions as auxiliary output (for the metrics)."""
    y_pred = predict_proba(params, x)
    p = jnp.clip(y_pred, 1e-7, 1 - 1e-7)
    return -jnp.mean(y * jnp.log(p) + (1 - y) * jnp.log(1 - p)), y_pred


def main(epochs: int = 8, batch_size: int = 64, verbose: bool = True) -> md.History:
    x_train, y_train = make_data(2048, seed=0)
    x_val, y_val = make_data(512, seed=1)
    params = init_params(jax.random.PRNGKey(0))
    optimizer = optax.adam(1e-2)
    opt_state = optimizer.init(params)

    metrics = md.compile_metrics(["accuracy", "bce", "AUC" if hasattr(md, "metric_auc")
                                  else "mse"])
    metrics.add_metric(None, "loss")  # declared before the state is created
    metrics.build(jax.ShapeDtypeStruct((batch_size, 1), "float32"),
                  jax.ShapeDtypeStruct((batch_size, 1), "float32"))

    val_metrics = md.compile_metrics(["accuracy", "bce"])  # reused: evaluate() resets it
    predict = jax.jit(predict_proba)

    @jax.jit
    def train_step(params, opt_state, metric_state, x, y):
        (loss, y_pred), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, x, y)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        metric_state = metrics.stateless_update_state(metric_state, y, y_pred,
                                                      extra={"loss": loss})
        return params, opt_state, metric_state

    history = md.History()
    steps = len(x_train) // batch_size
    for epoch in range(epochs):
        order = np.random.default_rng(epoch).permutation(len(x_train))
        metric_state = metrics.stateless_reset_state()
        for step in range(steps):
            idx = order[step * batch_size:(step + 1) * batch_size]
            params, opt_state, metric_state = train_step(
                params, opt_state, metric_state, x_train[idx], y_train[idx])
        train_logs = metrics.stateless_result(metric_state)
        val_batches = [(x_val[i:i + batch_size], y_val[i:i + batch_size])
                       for i in range(0, len(x_val), batch_size)]
        val_logs = md.evaluate(val_metrics, val_batches,
                               predict=lambda x, p=params: predict(p, x), progress=False)
        history.append(train_logs, val_logs=val_logs)
        if verbose:
            shown = {k: round(float(v), 4) for k, v in {**train_logs, **{
                f"val_{k}": v for k, v in val_logs.items()}}.items()}
            print(f"epoch {epoch + 1}/{epochs}: {shown}")
    if verbose:
        print(history)
    return history


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    main(epochs=parser.parse_args().epochs)
