"""Trainers: SFT, GRPO, PPO, DPO and distillation, sharing one set of kernels and infrastructure."""
