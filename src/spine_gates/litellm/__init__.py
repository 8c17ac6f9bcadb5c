"""LiteLLM as a team gateway: compile the SSOT to its `config.yaml`, read the file and the
running proxy, compare them keyed, and flag its unsafe settings (rules LIT-*)."""
