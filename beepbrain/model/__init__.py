"""The BeepBrain transformer and its named configurations."""

from beepbrain.model.gpt import COND_DIM, CONFIGS, GPT, GPTConfig, KVCache, count_params

__all__ = ["COND_DIM", "CONFIGS", "GPT", "GPTConfig", "KVCache", "count_params"]
