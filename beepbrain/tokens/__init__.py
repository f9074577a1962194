"""Tokens and datasets: Song <-> token streams with static conditioning, dataset shards, a window loader."""

from beepbrain.tokens.conditioning import COND_DIM, Conditioning
from beepbrain.tokens.config import TokenizerConfig
from beepbrain.tokens.grammar import TokenGrammar
from beepbrain.tokens.tokenizer import TokenizedSong, Tokenizer

__all__ = [
    "COND_DIM",
    "Conditioning",
    "TokenGrammar",
    "TokenizedSong",
    "Tokenizer",
    "TokenizerConfig",
    "WindowLoader",
]


def __getattr__(name: str):
    if name == "WindowLoader":  # imports torch: only on demand
        from beepbrain.tokens.loader import WindowLoader

        return WindowLoader
    raise AttributeError(name)
