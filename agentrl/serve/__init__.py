"""`agentrl serve`: an OpenAI-compatible HTTP server over any `Sampler`."""
