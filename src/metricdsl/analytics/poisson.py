"""Poisson(1) bootstrap weights keyed by (seed, replicate, global sample position).

Each weight is an inverse-CDF draw: a 64-bit uniform from a counter-based hash
is compared against the Poisson(1) CDF table. No sampler state is carried, so
the weight of the sample at position ``i`` in replicate ``r`` is the same
whichever batch brings that sample: splitting the data across updates gives the
same replicates as one pass.

The table stops at 14: ``P(X > 14) ≈ 3.0e-13 < 1e-12``, and that tail draws 14.
The uniforms have 64 bits, so every table entry is exact to ``2^-64``.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["MAX_WEIGHT", "poisson_weights", "replicate_keys"]

#: The largest weight drawn: the CDF table stops where the Poisson(1) tail is below 1e-12.
MAX_WEIGHT = 14


def _cdf_table() -> tuple[np.ndarray, np.ndarray]:
    """``CDF(k)`` for ``k < MAX_WEIGHT`` as 64-bit fixed point, split into (high, low) words.

    The words are stored sign-flipped as int32 (XLA compares int32 much faster than uint32
    on CPU); flipping the sign bit of both sides keeps the unsigned order.
    """
    cdf, term, words = 0.0, math.exp(-1.0), []
    for k in range(MAX_WEIGHT):
        cdf += term
        term /= k + 1
        words.append(min(round(cdf * 2.0 ** 64), 2 ** 64 - 1))
    high = np.array([(w >> 32) ^ _SIGN for w in words], np.uint32).view(np.int32)
    low = np.array([(w & 0xFFFFFFFF) ^ _SIGN for w in words], np.uint32).view(np.int32)
    return high, low


_SIGN = 0x80000000
_HIGH, _LOW = _cdf_table()





def _mix(h: jax.Array) -> jax.Array:
    """The ``lowbias32`` integer hash (a bijection of uint32 with full avalanche)."""
    h = h ^ (h >> 16)
    h = h * jnp.uint32(0x7FEB352D)
    h = h ^ (h >> 15)
    h = h * jnp.uint32(0x846CA68B)
    return h ^ (h >> 16)


@functools.lru_cache(maxsize=64)
def replicate_keys(seed: int, num_samples: int) -> np.ndarray:
    """The per-replicate hash keys, shape ``(2, num_samples)`` uint32 (computed once, on host)."""
    high, low = (seed >> 32) % 2 ** 32, seed % 2 ** 32
    with jax.ensure_compile_time_eval():
        r = jnp.arange(num_samples, dtype=jnp.uint32)
        keys = [_mix(_mix(r ^ _mix(jnp.uint32(low ^ salt))) + _mix(jnp.uint32(high ^ salt)))
                for salt in (0x9E3779B9, 0x85EBCA6B)]
        return np.asarray(jnp.stack(keys))


def poisson_weights(keys: jax.Array, positions: jax.Array, dtype: str) -> jax.Array:
    """Poisson(1) weights of shape ``(replicates, N)`` for samples at global ``positions``.

    Args:
        keys: `replicate_keys` of the bootstrap, shape ``(2, replicates)``.
        positions: uint32 global positions of the batch's samples, shape ``(N,)``.
        dtype: The weights' dtype.
    """
    keys = jnp.asarray(keys, jnp.uint32)
    high = _signed(_mix(_mix(positions * jnp.uint32(0x9E3779B1))[None, :] + keys[0][:, None]))
    low = _signed(_mix(_mix(positions ^ jnp.uint32(0xC2B2AE35))[None, :] + keys[1][:, None]))
    count = jnp.zeros(high.shape, jnp.int32)
    for a, b in zip(_HIGH.tolist(), _LOW.tolist()):
        above = (high > a) | ((high == a) & (low >= b))
        count = count + above.astype(jnp.int32)
    return count.astype(dtype)


def _signed(words: jax.Array) -> jax.Array:
    """uint32 words as sign-flipped int32 (same order under signed comparison)."""
    return jax.lax.bitcast_convert_type(words ^ jnp.uint32(_SIGN), jnp.int32)
