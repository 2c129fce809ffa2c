"""The Flax NNX model zoo (Llama 3, Qwen 2/3, Gemma 1/2/3) and Hugging Face checkpoint I/O."""
