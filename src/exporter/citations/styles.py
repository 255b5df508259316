"""Built-in citation styles (registered like any plugin's)."""
