"""Built-in environments. Importing this package registers them (lazily: no env module loads)."""
