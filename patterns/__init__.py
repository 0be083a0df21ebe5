"""Built-in failure patterns (TOML), shipped as package data."""
