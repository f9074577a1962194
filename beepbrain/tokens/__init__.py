"""Tokens and datasets: Song <-> token streams with static conditioning, dataset shards, a window loader."""

from beepbrain.tokens.conditioning import COND_DIM, Conditioning
from beepbrain.tokens.config import TokenizerConfig
from beepbrain.tokens.grammar import TokenGrammar
from beepbrain.tokens.load import TOKENIZER_KINDS, load_tokenizer, new_tokenizer, tokenizer_from_dict
from beepbrain.tokens.pattern_grammar import PatternGrammar
from beepbrain.tokens.pattern_tokenizer import PatternTokenizer, PatternTokenizerConfig
from beepbrain.tokens.tokenizer import TokenizedSong, Tokenizer

__all__ = [
    "COND_DIM",
    "TOKENIZER_KINDS",
    "Conditioning",
    "PatternGrammar",
    "PatternTokenizer",
    "PatternTokenizerConfig",
    "TokenGrammar",
    "TokenizedSong",
    "Tokenizer",
    "TokenizerConfig",
    "WindowLoader",
    "load_tokenizer",
    "new_tokenizer",
    "tokenizer_from_dict",
]


def __getattr__(name: str):
    if name == "WindowLoader":  # imports torch: only on demand
        from beepbrain.tokens.loader import WindowLoader

        return WindowLoader
    raise AttributeError(name)
