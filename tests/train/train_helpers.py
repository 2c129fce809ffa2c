"""Arguments shared by the tests that run `agentrl train` in this process."""

# Two GRPO steps of the tiny model, no warm-start, on one of the session's 8 fake devices.
TINY_GRPO = [
    "--quiet",
    "--set", "warm_start.enabled=false",
    "--set", "mesh.devices=1",
    "--set", "schedule.max_steps=2",
    "--set", "schedule.run_budget_s=null",
    "--set", "rollout.prompts_per_step=2",
    "--set", "rollout.group_size=4",
    "--set", "rollout.max_tokens=16",
    "--set", "eval.num_problems=4",
    "--set", "eval.max_tokens=16",
    "--set", "grpo.entropy_coef=0.01",
]  # fmt: skip
