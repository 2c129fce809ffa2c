"""GRPO in one file: rollouts, group advantages, the clipped surrogate and the optax update,
written out, on the built-in tiny model and generated arithmetic.

Run: python examples/grpo_from_scratch.py [--steps 30]. An untrained model rarely earns a
reward, and a group whose rewards are all equal has zero advantages: to watch accuracy rise,
start from a warm-started model (as `agentrl train` does) instead of `tiny_model`.

What agentrl provides here is only the plumbing around the algorithm: the tiny model and its
tokenizer, an env, `rollout` (which turns episodes into token-level trajectories: token ids, a
loss mask of 1 on sampled tokens, and the sampler's log-probs) and a sampler reading the live
weights. Everything GRPO does is below, in plain JAX.

How this simplifies `agentrl.trainers.grpo.GRPOLearner`:
- one optimizer step per rollout (no minibatches or inner epochs), so ``pi_old`` is the
  sampler's log-prob and the ratio starts at 1;
- the plain GRPO advantage and PPO's symmetric clip only (no Dr.GRPO, DAPO, GSPO, RLOO or
  REINFORCE++ options), token-mean loss, no KL term, no entropy bonus;
- full ``[B, L, V]`` logits (the learner scores a few positions at a time to bound memory);
- no dynamic sampling, overlong filtering, shape buckets, LoRA, device mesh, gradient
  accumulation, checkpoints or metrics logging.
`tests/test_examples.py` checks that `grpo_loss` here equals the learner's loss on one batch.
"""

from __future__ import annotations

import argparse
import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

import agentrl
from agentrl.models.tiny import tiny_model
from agentrl.rollout import rollout
from agentrl.sampling import JaxSampler, SamplingParams
from agentrl.wrappers import HoldOut


@dataclasses.dataclass
class Args:
    steps: int = 30
    """Rollout-and-update rounds."""
    prompts_per_step: int = 16
    """Fresh problems per step; each is one group."""
    group_size: int = 8
    """Samples per problem: GRPO's baseline is the group's mean reward."""
    lr: float = 5e-4
    """Adam's learning rate."""
    clip_eps: float = 0.2
    """PPO's clip range: the ratio pi / pi_old is kept within [1 - eps, 1 + eps]."""
    temperature: float = 1.0
    """Sampling temperature; the loss scores the same tempered distribution."""
    max_tokens: int = 24
    """Completion tokens per answer."""
    eval_problems: int = 32
    """Held-out problems for the greedy pass@1 eval; training never draws them."""
    seed: int = 0
    """Seeds the model's initialization and every rollout."""


def make_batch(trajectories, pad_id: int) -> dict[str, np.ndarray]:
    """Right-pad the trajectories into ``[B, L]`` arrays, inputs shifted against targets."""
    width = max(len(t.token_ids) for t in trajectories)
    ids = np.full((len(trajectories), width), pad_id, np.int32)
    mask = np.zeros((len(trajectories), width), np.float32)
    old_logp = np.zeros((len(trajectories), width), np.float32)
    real = np.zeros((len(trajectories), width), bool)
    for i, t in enumerate(trajectories):
        n = len(t.token_ids)
        ids[i, :n], mask[i, :n], old_logp[i, :n] = t.token_ids, t.loss_mask, t.logprobs
        real[i, :n] = True
    return {
        "input_ids": ids[:, :-1],
        "target_ids": ids[:, 1:],  # position p predicts token p + 1
        "attention_mask": real[:, :-1],
        "loss_mask": mask[:, 1:],  # 1 where the target was sampled by the policy
        "old_logp": old_logp[:, 1:],  # the sampler's log-prob of each target
    }


def group_advantages(rewards: np.ndarray, group_size: int) -> np.ndarray:
    """GRPO: each reward minus its group's mean, over the group's (unbiased) std."""
    groups = rewards.reshape(-1, group_size)
    mean = groups.mean(axis=1, keepdims=True)
    std = groups.std(axis=1, ddof=1, keepdims=True)
    return ((groups - mean) / (std + 1e-6)).reshape(-1)


def grpo_loss(model, batch, advantages, *, clip_eps: float, temperature: float) -> jax.Array:
    """Token-mean clipped surrogate: ``-min(rho A, clip(rho, 1 - eps, 1 + eps) A)``."""
    positions = jnp.broadcast_to(jnp.arange(batch["input_ids"].shape[1]), batch["input_ids"].shape)
    logits = model(batch["input_ids"], positions, attention_mask=batch["attention_mask"]).logits
    logp_all = jax.nn.log_softmax(logits / temperature, axis=-1)
    logp = jnp.take_along_axis(logp_all, batch["target_ids"][..., None], axis=-1)[..., 0]
    ratio = jnp.exp(logp - batch["old_logp"])
    adv = advantages[:, None]  # one advantage per episode, on each of its tokens
    surrogate = jnp.minimum(ratio * adv, jnp.clip(ratio, 1 - clip_eps, 1 + clip_eps) * adv)
    mask = batch["loss_mask"]
    return -jnp.sum(surrogate * mask) / jnp.maximum(jnp.sum(mask), 1.0)


def main(args: Args) -> None:
    model, tokenizer = tiny_model(seed=args.seed)
    sampler = JaxSampler(model, tokenizer, max_context=128, seed=args.seed)
    env = agentrl.make("deepscaler", kinds=["addsub"], difficulty=[1])
    # Held out by content, not by seed: distinct problems, which the training env redraws.
    eval_seeds, eval_prompts = [], set()
    for seed in range(10**6, 10**6 + 100 * args.eval_problems):
        prompt = env.reset(seed=seed)[1]["task"]["prompt"]
        if prompt not in eval_prompts and len(eval_seeds) < args.eval_problems:
            eval_seeds.append(seed)
            eval_prompts.add(prompt)
    train_env = HoldOut(env, eval_prompts)
    optimizer = optax.adam(args.lr)
    graphdef, params = nnx.split(model, nnx.Param)
    opt_state = optimizer.init(params)

    @jax.jit
    def update(params, opt_state, batch, advantages):
        def loss_of(p):
            return grpo_loss(
                nnx.merge(graphdef, p), batch, advantages,
                clip_eps=args.clip_eps, temperature=args.temperature,
            )  # fmt: skip

        loss, grads = jax.value_and_grad(loss_of)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    def pass_at_1() -> float:
        """Greedy accuracy on the held-out problems."""
        result = rollout(
            env, sampler, tokenizer, seeds=eval_seeds,
            params=SamplingParams(temperature=0.0, max_tokens=args.max_tokens), progress=False,
        )  # fmt: skip
        return float(np.mean([t.reward > 0 for t in result.trajectories]))

    print(f"before: pass@1 {pass_at_1():.3f}")
    sample = SamplingParams(temperature=args.temperature, max_tokens=args.max_tokens)
    for step in range(args.steps):
        result = rollout(
            train_env, sampler, tokenizer, num_episodes=args.prompts_per_step * args.group_size,
            group_size=args.group_size, seed=args.seed * 10**5 + step * args.prompts_per_step,
            params=dataclasses.replace(sample, seed=step), progress=False,
        )  # fmt: skip
        trajectories = result.trajectories  # groups are contiguous, group_size rows each
        rewards = np.array([t.reward for t in trajectories], np.float32)
        advantages = group_advantages(rewards, args.group_size)
        batch = make_batch(trajectories, tokenizer.pad_token_id)
        params, opt_state, loss = update(params, opt_state, batch, advantages)
        nnx.update(model, params)  # the sampler reads the live model: it now samples the new policy
        sampler.policy_version += 1
        print(f"step {step}: reward {rewards.mean():.3f} loss {float(loss):+.4f}")
    print(f"after: pass@1 {pass_at_1():.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for field in dataclasses.fields(Args):
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=type(field.default),
                            default=field.default)  # fmt: skip
    main(Args(**vars(parser.parse_args())))
