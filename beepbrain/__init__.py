"""BeepBrain: learn from, and generate, BeepBox music."""

__version__ = "0.1.0"
