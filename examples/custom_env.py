"""A new environment in a few lines: spell a word backwards.

Subclass `agentrl.Env`, implement `_reset` (draw a task from ``self.np_random``) and `_step`
(judge one reply), register it, and let `agentrl.check_env` vouch for it.

    python examples/custom_env.py
"""

import agentrl
from agentrl.env import Task, Turn

WORDS = ("banana", "gradient", "policy", "reward", "token", "sampler")


class ReverseWordEnv(agentrl.Env):
    """Reply with a word spelled backwards; reward 1 if exactly right, else 0."""

    reward_range = (0.0, 1.0)
    num_tasks = len(WORDS)

    def _reset(self, options):
        word = WORDS[self._task_index(options)]
        prompt = f"Spell '{word}' backwards. Reply with the reversed word only."
        task = Task(id=f"reverse/{word}", prompt=prompt, answer=word[::-1], solution=word[::-1])
        return [{"role": "user", "content": prompt}], task

    def _step(self, action):
        correct = float(action.strip().lower() == self.task.answer)
        return Turn(observation=[], reward=correct, terminated=True, components={"exact": correct})


agentrl.register("reverse-word-v0", ReverseWordEnv, overwrite=True)

if __name__ == "__main__":
    env = agentrl.make("reverse-word")
    observation, info = env.reset(seed=0)
    print(observation[0]["content"])
    print(env.step(env.oracle_action())[1:3])  # (1.0, True)
    report = agentrl.check_env(env)
    print("check_env passed:", ", ".join(report.passed))
