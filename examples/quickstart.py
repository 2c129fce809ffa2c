"""GRPO on generated arithmetic with the built-in tiny model, in about 20 lines of API.

Run: python examples/quickstart.py [steps]. The README shows this file.
"""

import sys

import agentrl
from agentrl.models.tiny import tiny_model
from agentrl.rollout import rollout
from agentrl.sampling import JaxSampler, SamplingParams
from agentrl.trainers.grpo import GRPOConfig, GRPOLearner

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
model, tokenizer = tiny_model(seed=0)
sampler = JaxSampler(model, tokenizer, max_context=128)  # samples from the live weights
learner = GRPOLearner(GRPOConfig(optimizer={"lr": 5e-5}), model, pad_id=tokenizer.pad_token_id)
env = agentrl.make("deepscaler", kinds=["arithmetic"], difficulty=[1])
params = SamplingParams(temperature=1.0, max_tokens=24)
for step in range(steps):
    # 8 problems, 8 samples each: one GRPO group per problem, fresh problems every step.
    result = rollout(env, sampler, tokenizer, num_episodes=64, group_size=8, seed=8 * step,
                     params=params, progress=False)
    metrics = learner.train_step(result.trajectories)
    sampler.policy_version += 1
    print(f"step {step}: reward {result.summary.mean_reward:.3f} loss {metrics['loss']:+.4f}")
