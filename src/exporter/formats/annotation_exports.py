"""Built-in format plugin (in progress)."""
