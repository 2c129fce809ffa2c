"""The training pipeline behind ``agentrl train``: config tree, stages, run folder.

>>> from agentrl.train import TrainConfig
>>> TrainConfig().algo
'grpo'
"""

from agentrl.train.config import TrainConfig
from agentrl.train.pipeline import train

__all__ = ["TrainConfig", "train"]
