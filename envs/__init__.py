"""Built-in environments. Importing this package registers them (lazily: no env module loads).

| id                | what it rewards                                                        |
|-------------------|------------------------------------------------------------------------|
| deepscaler-v0     | a correct ``\\boxed{}`` answer to a DeepScaleR/procedural math problem |
| gsm8k-v0          | the correct final number of a GSM8K/procedural word problem            |
| countdown-v0      | an expression of the given numbers that equals the target              |
| tool-math-v0      | a correct boxed answer, reached with the python and calculator tools   |
| chat-v0           | helpful replies to a scripted (or simulated) user, scored by a rubric  |
| guess-number-v0   | finding a secret number from higher/lower hints                        |
"""

from agentrl.registration import envs as _registry

_BUILTINS = {
    "deepscaler-v0": (
        "agentrl.envs.deepscaler:DeepScaleREnv",
        "DeepScaleR math (JSON/JSONL/Parquet or procedural); 1 for a correct boxed answer",
    ),
    "gsm8k-v0": (
        "agentrl.envs.gsm8k:GSM8KEnv",
        "GSM8K word problems (#### answers or procedural); 1 for the correct number",
    ),
    "countdown-v0": (
        "agentrl.envs.countdown:CountdownEnv",
        "reach the target with the given numbers, each at most once; 1 if exact",
    ),
    "tool-math-v0": (
        "agentrl.envs.tool_math:ToolMathEnv",
        "multi-turn math with python and calculator tools; 1 for a correct boxed answer",
    ),
    "chat-v0": (
        "agentrl.envs.chat:ChatEnv",
        "multi-turn chat with a scripted or simulated user; rubric reward",
    ),
    "guess-number-v0": (
        "agentrl.envs.guess_number:GuessNumberEnv",
        "find a secret number from higher/lower hints; 1 when found (start here)",
    ),
}

for _id, (_entry_point, _description) in _BUILTINS.items():
    # overwrite: re-importing this package (importlib.reload) must not fail
    _registry.register(
        _id,
        _entry_point,
        metadata={"description": _description},
        source="agentrl",
        overwrite=True,
    )
