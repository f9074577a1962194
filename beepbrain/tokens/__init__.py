"""Tokens and datasets: Song <-> token streams with static conditioning, dataset shards, a window loader."""

from beepbrain.tokens.conditioning import COND_DIM, Conditioning
from beepbrain.tokens.load import TOKENIZER_KINDS, load_tokenizer, new_tokenizer, tokenizer_from_dict
from beepbrain.tokens.pattern_grammar import PatternGrammar
from beepbrain.tokens.pattern_tokenizer import PatternTokenizer, PatternTokenizerConfig
from beepbrain.tokens.protocol import Grammar, TokenizedSong, Tokenizer
from beepbrain.tokens.tick_config import TickTokenizerConfig
from beepbrain.tokens.tick_grammar import TickGrammar
from beepbrain.tokens.tick_tokenizer import TickTokenizer

__all__ = [
    "COND_DIM",
    "TOKENIZER_KINDS",
    "Conditioning",
    "Grammar",
    "PatternGrammar",
    "PatternTokenizer",
    "PatternTokenizerConfig",
    "TickGrammar",
    "TickTokenizer",
    "TickTokenizerConfig",
    "TokenizedSong",
    "Tokenizer",
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
