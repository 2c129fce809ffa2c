"""``agentrl generate`` on a tiny random Qwen2 saved by transformers: greedy tokens equal
transformers' own greedy ``generate``."""

from __future__ import annotations

import json

import pytest

from agentrl.cli import main
from agentrl.tokenizer import builtin_tiny_tokenizer

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hf_qwen2")
    tokenizer = builtin_tiny_tokenizer()
    config = transformers.Qwen2Config(
        vocab_size=tokenizer.vocab_size,
        hidden_size=52,  # odd sizes (52 = 4 x 13, MLP 74) so transposes cannot hide
        intermediate_size=74,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=14,
        max_position_embeddings=256,
        tie_word_embeddings=False,
        # Large weights give peaked logits, so float rounding cannot flip a greedy choice.
        initializer_range=0.3,
        eos_token_id=list(tokenizer.eos_token_ids),
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = transformers.Qwen2ForCausalLM(config).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder, model, tokenizer


def _run(capsys, *argv: str) -> dict:
    assert main(["generate", *argv]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_greedy_matches_transformers(checkpoint, capsys):
    folder, hf_model, tokenizer = checkpoint
    prompt = "What is 12+35-8? Let's think step by step."
    out = _run(capsys, "--model", str(folder), "--prompt", prompt, "--chat", "--max-tokens", "20",
               "--temperature", "0", "--json")  # fmt: skip
    ids = tokenizer.encode_chat([{"role": "user", "content": prompt}])
    with torch.no_grad():
        expected = hf_model.generate(
            torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
            do_sample=False, max_new_tokens=20,
        )[0, len(ids):].tolist()  # fmt: skip
    assert out["token_ids"] == expected
    sharded = _run(capsys, "--model", str(folder), "--prompt", prompt, "--chat", "--max-tokens",
                   "20", "--json", "--mesh", "data=2,fsdp=2,tp=2")  # fmt: skip
    assert sharded["token_ids"] == expected
    assert out["finish_reason"] == ("stop" if expected[-1] in tokenizer.eos_token_ids else "length")
    assert out["text"] == tokenizer.decode(expected, skip_special_tokens=True)


def test_plain_prompt_sampling_prints_text(checkpoint, capsys):
    folder, _, _ = checkpoint
    argv = ["--model", str(folder), "--prompt", "12+35=", "--max-tokens", "8"]
    assert main(["generate", *argv, "--temperature", "1.0", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    # The completion's text (special tokens dropped), then a newline.
    assert text.endswith("\n") and len(text) > 1


def test_missing_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["generate", "--model", str(tmp_path / "nope"), "--prompt", "x"]) == 2
    assert "nope" in capsys.readouterr().err


def test_a_mesh_that_cannot_split_the_model_is_a_clear_error(checkpoint, capsys):
    folder, _, _ = checkpoint
    argv = ["--model", str(folder), "--prompt", "x", "--mesh", "data=2,tp=4"]  # 2 KV heads
    assert main(["generate", *argv]) == 2
    assert "mesh.tp=4, which does not divide the model's num_key_value_heads=2" in (
        capsys.readouterr().err
    )
