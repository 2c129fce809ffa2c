"""Tokenizer: the tiny built-in BPE, HF folder round-trips, chat templates against transformers."""

from __future__ import annotations

import json

import pytest

from agentrl.errors import ModelError
from agentrl.tokenizer import ChatTemplateError, Tokenizer, builtin_tiny_tokenizer
from agentrl.tokenizer.tiny import ASSET, SPECIAL_TOKENS, build_tiny_tokenizer

CALC_TOOL = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Evaluate an arithmetic expression.",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string", "description": "e.g. 2*(3+4)"}},
            "required": ["expression"],
        },
    },
}

CONVERSATIONS = {
    "qwen2.5": (
        [
            {"role": "system", "content": "You solve math problems. Café ☕ is fine."},
            {"role": "user", "content": "What is 12*7?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "type": "function",
                        "function": {"name": "calculator", "arguments": {"expression": "12*7"}},
                    }
                ],
            },
            {"role": "tool", "content": "84"},
            {"role": "assistant", "content": "12*7=84. \\boxed{84}"},
            {"role": "user", "content": "And 84-4?"},
        ],
        [CALC_TOOL],
    ),
    "llama3.1": (
        [
            {"role": "system", "content": "You solve math problems."},
            {"role": "user", "content": "What is 12*7?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "type": "function",
                        "function": {"name": "calculator", "arguments": {"expression": "12*7"}},
                    }
                ],
            },
            {"role": "tool", "content": "84"},
            {"role": "assistant", "content": "12*7=84. \\boxed{84}"},
            {"role": "user", "content": "And 84-4?"},
        ],
        [CALC_TOOL],
    ),
    "gemma": (
        [
            {"role": "user", "content": "What is 12*7?"},
            {"role": "assistant", "content": "12*7=84. \\boxed{84}"},
            {"role": "user", "content": "  And 84-4?  "},
        ],
        None,
    ),
}


def test_tiny_tokenizer_shape_and_round_trip():
    tok = builtin_tiny_tokenizer()
    assert tok.vocab_size == 512
    for special in SPECIAL_TOKENS:
        assert tok.encode(special) == [tok.token_to_id(special)]
    assert tok.eos_token_ids == (tok.token_to_id("<|im_end|>"), tok.token_to_id("<|endoftext|>"))
    for text in [
        "What is 12+35-8? Let's think step by step and output the final answer within \\boxed{}.",
        "12+35=47. 47-8=39. \\boxed{39}",
        "naïve ünïcödé 数学 🙂\n\n  spaces\ttabs",
    ]:
        assert tok.decode(tok.encode(text)) == text
    # Digits are one token each, so 12345 is five tokens.
    assert len(tok.encode("12345")) == 5
    # The corpus-trained merges make typical prompts compact (well under one token per byte).
    prompt = (
        "What is 12+35-8? Let's think step by step and output the final answer within \\boxed{}."
    )
    assert len(tok.encode(prompt)) < len(prompt) / 2


def test_tiny_tokenizer_rebuilds_bit_for_bit():
    assert build_tiny_tokenizer().to_str(pretty=True) == ASSET.read_text(encoding="utf-8")


def test_save_and_load_round_trip(tmp_path):
    tok = builtin_tiny_tokenizer()
    tok.save_pretrained(tmp_path)
    again = Tokenizer.from_pretrained(tmp_path)
    messages, tools = CONVERSATIONS["qwen2.5"]
    assert again.encode_chat(messages, tools) == tok.encode_chat(messages, tools)
    assert again.eos_token_ids == tok.eos_token_ids
    assert again.pad_token_id == tok.pad_token_id
    assert again.chat_template == tok.chat_template


@pytest.fixture(scope="module")
def hf_tokenizers(family_dirs):
    transformers = pytest.importorskip("transformers")
    return {
        name: transformers.AutoTokenizer.from_pretrained(str(folder))
        for name, folder in family_dirs.items()
    }


@pytest.mark.parametrize("family", sorted(CONVERSATIONS))
@pytest.mark.parametrize("add_generation_prompt", [True, False])
def test_render_matches_transformers(family, add_generation_prompt, family_dirs, hf_tokenizers):
    messages, tools = CONVERSATIONS[family]
    ours = Tokenizer.from_pretrained(family_dirs[family])
    hf = hf_tokenizers[family]
    kwargs = {"tools": tools, "add_generation_prompt": add_generation_prompt}
    text = ours.render(messages, **kwargs)
    assert text == hf.apply_chat_template(messages, tokenize=False, **kwargs)
    hf_ids = hf.apply_chat_template(messages, tokenize=True, return_dict=True, **kwargs)
    assert ours.encode_chat(messages, **kwargs) == list(hf_ids["input_ids"])
    assert ours.encode(text) == hf.encode(text, add_special_tokens=False)


def test_tiny_template_matches_transformers(tmp_path):
    transformers = pytest.importorskip("transformers")
    tok = builtin_tiny_tokenizer()
    tok.save_pretrained(tmp_path)
    hf = transformers.AutoTokenizer.from_pretrained(str(tmp_path))
    messages, tools = CONVERSATIONS["qwen2.5"]
    for use_tools in (tools, None):
        ours = tok.render(messages, use_tools, add_generation_prompt=True)
        theirs = hf.apply_chat_template(
            messages, tools=use_tools, tokenize=False, add_generation_prompt=True
        )
        assert ours == theirs
    assert hf.eos_token == "<|im_end|>"
    assert hf.pad_token_id == tok.pad_token_id


def test_special_tokens_and_eos_from_the_folder(family_dirs):
    llama = Tokenizer.from_pretrained(family_dirs["llama3.1"])
    assert llama.bos_token == "<|begin_of_text|>"
    assert llama.render([{"role": "user", "content": "hi"}]).startswith("<|begin_of_text|>")
    eot, eom, end = (llama.token_to_id(t) for t in ("<|eot_id|>", "<|eom_id|>", "<|end_of_text|>"))
    assert set(llama.eos_token_ids) == {eot, eom, end}
    assert llama.eos_token_ids[0] == eot
    assert llama.pad_token_id == eot  # no pad token: pad with EOS


def test_template_errors_are_clear(family_dirs):
    gemma = Tokenizer.from_pretrained(family_dirs["gemma"])
    with pytest.raises(ChatTemplateError, match="System role not supported"):
        gemma.render([{"role": "system", "content": "x"}, {"role": "user", "content": "y"}])
    with pytest.raises(ChatTemplateError, match="does not compile"):
        Tokenizer(builtin_tiny_tokenizer().backend, chat_template="{% if %}").render([])
    with pytest.raises(ChatTemplateError, match="no chat template"):
        Tokenizer(builtin_tiny_tokenizer().backend).render([{"role": "user", "content": "x"}])


def test_template_sandbox_blocks_attribute_escapes():
    tok = Tokenizer(
        builtin_tiny_tokenizer().backend,
        chat_template="{{ messages.__class__.__mro__[1].__subclasses__() }}",
    )
    with pytest.raises(ChatTemplateError):
        tok.render([{"role": "user", "content": "x"}])


def test_folder_variants(tmp_path):
    tok = builtin_tiny_tokenizer()
    tok.save_pretrained(tmp_path)
    config_path = tmp_path / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    # A list of named templates (older HF format) and an AddedToken-dict eos.
    config["chat_template"] = [{"name": "default", "template": "{{ messages[0].content }}!"}]
    config["eos_token"] = {"content": "<|im_end|>", "special": True}
    config_path.write_text(json.dumps(config))
    loaded = Tokenizer.from_pretrained(tmp_path)
    assert loaded.render([{"role": "user", "content": "hey"}]) == "hey!"
    assert loaded.eos_token == "<|im_end|>"
    # chat_template.jinja, as newer transformers saves it, wins over the config entry.
    (tmp_path / "chat_template.jinja").write_text("[{{ messages[0].content }}]")
    assert Tokenizer.from_pretrained(tmp_path).render([{"role": "user", "content": "a"}]) == "[a]"


def test_bad_folders_name_the_problem(tmp_path):
    with pytest.raises(ModelError, match=r"has no tokenizer\.json"):
        Tokenizer.from_pretrained(tmp_path)
    builtin_tiny_tokenizer().save_pretrained(tmp_path)
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"eos_token": "<nope>"}))
    with pytest.raises(ModelError, match="eos_token '<nope>' is not in the vocabulary"):
        Tokenizer.from_pretrained(tmp_path)
    (tmp_path / "tokenizer_config.json").write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        Tokenizer.from_pretrained(tmp_path)


def test_tools_can_be_agentrl_tools():
    import agentrl

    @agentrl.tool(register=False)
    def add(a: int, b: int) -> int:
        """Add two integers.

        Args:
            a: the first.
            b: the second.
        """
        return a + b

    tok = builtin_tiny_tokenizer()
    messages = [{"role": "user", "content": "2+3?"}]
    text = tok.render(messages, [add], add_generation_prompt=True)
    assert text == tok.render(messages, [add.schema()], add_generation_prompt=True)
    assert '"name": "add"' in text


def test_module_examples_run():
    import doctest

    import agentrl.tokenizer

    assert doctest.testmod(agentrl.tokenizer).failed == 0
