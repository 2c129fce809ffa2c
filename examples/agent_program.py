"""Train an agent program as it is: a tool-using loop written only with the `openai` package.

`solve(base_url, task)` is what you would run against any OpenAI-compatible server: it offers a
calculator tool, runs the tool calls the model makes (handling the malformed ones a small model
makes), and scores the final \\boxed{} answer. `agentrl train --agent agent_program:solve` runs
it rollout.group_size times per deepscaler problem against the run's own endpoint, merges each
call's requests into one multi-turn trajectory and learns from the rewards with GRPO.

Run: python examples/agent_program.py [STEPS [agentrl train flags...]]
"""

import json
import re
import sys

import openai

CALCULATOR = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Evaluate an arithmetic expression such as (3 + 4) * 2.",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string"}},
            "required": ["expression"],
        },
    },
}


def calculator(expression: str) -> str:
    if not re.fullmatch(r"[\d+\-*/(). ]{1,64}", expression) or "**" in expression:
        return "error: use numbers, + - * / and parentheses"
    try:
        return str(eval(expression, {"__builtins__": {}}))  # only arithmetic gets here
    except (SyntaxError, ZeroDivisionError, OverflowError) as e:
        return f"error: {e}"


def solve(base_url: str, task: dict, max_turns: int = 3) -> float:
    client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0)
    messages = list(task["messages"])
    for _ in range(max_turns):
        answer = client.chat.completions.create(
            model="policy", messages=messages, tools=[CALCULATOR]
        )
        reply = answer.choices[0].message
        messages.append(reply.model_dump(exclude_none=True))
        for call in reply.tool_calls or []:
            try:
                result = calculator(str(json.loads(call.function.arguments)["expression"]))
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                result = f"error: bad arguments ({e})"
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
        if not reply.tool_calls:
            break
    answers = re.findall(r"\\boxed\{([^{}]*)\}", messages[-1].get("content") or "")
    return float(bool(answers) and answers[-1].strip() in task.get("answers", [task["answer"]]))


if __name__ == "__main__":
    from agentrl.cli import main

    steps = sys.argv[1] if len(sys.argv) > 1 else "50"
    settings = [f"schedule.max_steps={steps}", "model.max_context=768", "grpo.buckets=null",
                "rollout.max_tokens=48", "rollout.prompts_per_step=8"]  # fmt: skip
    flags = [x for s in settings for x in ("--set", s)]
    sys.exit(main(["train", "--agent", "agent_program:solve", *flags, *sys.argv[2:]]))
