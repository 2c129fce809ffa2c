"""Shared training infrastructure: run folders, metrics, checkpoints, plots, progress, data, mesh.

Import the submodules directly (``from agentrl.infra.checkpoint import Checkpointer``); this
package keeps its own import light so the CLI can load it without jax.
"""
