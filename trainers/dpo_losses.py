"""Direct preference optimization losses on sequence log-probabilities.

All take the summed log-probs of the chosen and rejected responses under the policy and the
frozen reference (``[P]`` each, one per pair) and return a per-pair loss ``[P]`` plus the
implicit reward margin ``h``:
``h = (log pi(y_w) - log pi_ref(y_w)) - (log pi(y_l) - log pi_ref(y_l))``.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import jax
import jax.numpy as jnp

DPOLossKind = Literal["sigmoid", "ipo", "hinge"]


class PreferenceLogprobs(NamedTuple):
    """Summed response log-probs of each pair under the policy and the reference."""

    chosen_p: jax.Array
    rejected_p: jax.Array
    ref_chosen_p: jax.Array
    ref_rejected_p: jax.Array

    def margin(self) -> jax.Array:
        """``h`` of the module docstring, ``[P]``."""
        return (self.chosen_p - self.ref_chosen_p) - (self.rejected_p - self.ref_rejected_p)


def dpo_loss(
    logps: PreferenceLogprobs,
    kind: DPOLossKind,
    beta: float,
    label_smoothing: float = 0.0,
) -> jax.Array:
    """Per-pair preference loss.

    - ``sigmoid`` (DPO): ``-(1 - e) log sigma(beta h) - e log sigma(-beta h)``, where ``e`` is
      the label smoothing (the chance a label is flipped; conservative DPO).
    - ``ipo``: ``(h - 1 / (2 beta))^2`` (IPO on summed log-probs).
    - ``hinge`` (SLiC): ``max(0, 1 - beta h)``.

    Args:
        logps: the four log-prob arrays.
        kind: which loss.
        beta: inverse temperature (``> 0``); for IPO it sets the target margin ``1 / (2 beta)``.
        label_smoothing: ``e`` in ``[0, 0.5)``; sigmoid only.

    Returns:
        float32 ``[P]``.
    """
    h_p = logps.margin().astype(jnp.float32)
    if kind == "sigmoid":
        return -(1.0 - label_smoothing) * jax.nn.log_sigmoid(
            beta * h_p
        ) - label_smoothing * jax.nn.log_sigmoid(-beta * h_p)
    if kind == "ipo":
        return jnp.square(h_p - 1.0 / (2.0 * beta))
    if kind == "hinge":
        return jax.nn.relu(1.0 - beta * h_p)
    raise ValueError(f"got dpo loss kind={kind!r}, need sigmoid, ipo or hinge")
