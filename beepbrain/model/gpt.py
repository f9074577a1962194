"""The BeepBrain transformer: a decoder-only GPT over song tokens, conditioned on a static vector.

Read top to bottom: configuration, the key/value cache, attention, block, model, named configurations.

- Positions are rotary (RoPE): attention sees only relative distances, so a `KVCache` can slide past the
  training context during generation (it keeps the last `block_size` keys) and positions simply continue
  from the number of tokens the cache has seen.
- The conditioning vector (rhythm, pitch-channel count, drum-channel count one-hots; `cond_dim` = 21) goes
  through a learned linear projection that is added to every token's embedding, so every position sees
  it at full strength and no context position is spent on it.
- Rows may hold several songs packed end to end (training): a song starts at BOS (`bos_id`), and each
  token attends only to the tokens of its own song; `cond` may then be `[B, T, cond_dim]`, each position
  its song's conditioning.
- Each token's channel (where the tokenizer tells how to read it: `ChannelMarks`) has a learned
  embedding added too: 1 + the channel whose instrument or bar item the token writes (0: header, bar lines,
  markers), found from the tokens alone (`channel_ids`), so a channel's earlier bars are one attention
  match away however long the items between them are. A model without marks (older ones, the tick
  tokenizer) has no such embedding.
- `model(idx, cond, targets=None, cache=None) -> (logits, loss)`; targets equal to -1 are ignored.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from beepbrain.tokens.conditioning import (  # what a song's conditioning vector holds
    COND_DIM,
    PITCH_CHANNEL_SLOTS,
    RHYTHM_SLOTS,
)


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 512
    cond_dim: int = COND_DIM
    block_size: int = 512  # training context; also the KV cache window
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = False  # biases in Linear and LayerNorm layers
    rope_base: float = 10000.0
    pad_vocab_to: int = 64  # embedding rows rounded up to a multiple of this (GPU matmul alignment)
    bos_id: int = 1  # the token that starts a song (both tokenizers): attention stays inside each song
    # how to read each token's channel (``ChannelMarks``; empty: no channel embedding)
    channel_resets: tuple[int, ...] = ()  # tokens after which the channel count starts again (BAR, ...)
    channel_starts: tuple[int, ...] = ()  # tokens that start the next channel's instrument or item
    hole_first: int = -1  # the fill layout: HOLE_1's id, the holes' count and SEP's id (-1/0: none)
    holes: int = 0
    sep_id: int = -1
    channel_rows: int = 16  # the channel embedding's rows: 0 and up to 15 channels (BeepBox: 10 + 5)
    channel_embedding: bool = True  # with marks: each token's channel has an embedding (``channel_ids``)
    # recall: where a channel's bar item comes next, the model is told what that channel did in its last
    # bar item (``recall_ids``): an embedding of none / silent / sounding / unseen, from the tokens below
    recall: bool = False
    recall_silent: tuple[int, ...] = ()
    recall_sounding: tuple[int, ...] = ()
    recall_unseen: tuple[int, ...] = ()
    recall_ends: tuple[int, ...] = ()  # the tokens that end a bar item (EMPTY, END, REF, HIDE, HOLE)
    recall_rows: tuple[int, ...] = ()  # resets after which items are bar items (BAR, SEP)
    recall_breaks: bool = False  # a silent channel that sounded earlier in the song is told apart (a break)
    # the pattern recalled: where the channel's last bar item played a pattern, the embedding of the REF
    # token that would play it again is added too (``recall_tokens``), numbered as the stream numbers
    # patterns (``PatternStream``): NEW takes the next number, HIDE_n the next n, REF_k names k
    recall_patterns: bool = False
    # the kind recalled: recall's embedding has a row per kind of the channel whose item comes next (pitch,
    # drum: its index against the conditioning's pitch-channel count)
    recall_kinds: bool = False
    new_id: int = -1
    ref_first: int = -1  # REF_1's id, and how many REF tokens there are (a channel's table holds as many)
    refs: int = 0
    hide_first: int = -1  # HIDE_1's id, and how many HIDE tokens there are (0: none)
    hides: int = 0
    # note end: after each pin of a note, the model is also given the embedding of the position token
    # where that pin ends the note (``note_ends``), read from the tokens below (``ChannelMarks``)
    note_end: bool = False
    onset_first: int = -1  # the position token 0's id, and how many there are
    onsets: int = 0
    length_first: int = -1  # the length token 1's id, and how many there are
    lengths: int = 0
    pin_marks: tuple[int, ...] = ()  # a pin's volume or bend, after its length
    body_end: int = -1  # what ends a pattern body (a note ending at the bar's end names it)
    beats_first: int = -1  # the header's beats-per-bar token 1's id, how many there are, and parts a beat
    beats: int = 0
    parts_per_beat: int = 0

    @property
    def padded_vocab_size(self) -> int:
        m = max(1, self.pad_vocab_to)
        return (self.vocab_size + m - 1) // m * m

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def reads_channels(self) -> bool:
        return bool(self.channel_starts)

    @property
    def embeds_channels(self) -> bool:
        return self.reads_channels and self.channel_embedding

    @property
    def recalls(self) -> bool:
        return self.reads_channels and self.recall

    @property
    def recall_kind_rows(self) -> int:
        """Recall's embedding rows for one kind of channel (``recall_ids``' values); with
        ``recall_kinds`` a drum channel's rows come after the pitch channel's."""
        return 6 if self.recall_breaks else 5

    @property
    def recalls_patterns(self) -> bool:
        return self.recalls and self.recall_patterns and self.refs > 0 and self.new_id >= 0

    @property
    def ends_notes(self) -> bool:
        return self.reads_channels and self.note_end and self.onsets > 0 and self.lengths > 0

    @classmethod
    def from_dict(cls, data: dict) -> GPTConfig:
        out = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for k in _TOKEN_LISTS:
            if k in out:
                out[k] = tuple(int(t) for t in out[k])
        return cls(**out)

    def with_data(
        self,
        vocab_size: int,
        cond_dim: int = COND_DIM,
        marks=None,
        embed: bool = True,
        recall: bool = False,
        note_end: bool = False,
        recall_pattern: bool = False,
        recall_kind: bool = False,
    ) -> GPTConfig:
        """This configuration sized for a dataset's vocabulary and conditioning, reading channels where
        its tokenizer gives ``marks`` (``ChannelMarks``): with their embedding (``embed``), with the
        recall of each channel's last bar item (``recall``) and of the pattern it played
        (``recall_pattern``, with ``recall``), with where each note ends (``note_end``)."""
        out = replace(self, vocab_size=vocab_size, cond_dim=cond_dim)
        if marks is not None:
            out = replace(
                out,
                channel_resets=tuple(marks.resets),
                channel_starts=tuple(marks.starts),
                hole_first=marks.hole_first,
                holes=marks.holes,
                sep_id=marks.sep,
                channel_embedding=embed,
                recall=recall,
                recall_breaks=recall,
                recall_silent=tuple(marks.silent),
                recall_sounding=tuple(marks.sounding),
                recall_unseen=tuple(marks.unseen),
                recall_ends=tuple(marks.ends),
                recall_rows=tuple(marks.bar_rows),
                recall_patterns=recall and recall_pattern,
                recall_kinds=recall and recall_kind,
                new_id=marks.new,
                ref_first=marks.ref_first,
                refs=marks.refs,
                hide_first=marks.hide_first,
                hides=marks.hides,
                note_end=note_end,
                onset_first=marks.onset_first,
                onsets=marks.onsets,
                length_first=marks.length_first,
                lengths=marks.lengths,
                pin_marks=tuple(marks.pin_marks),
                body_end=marks.body_end,
                beats_first=marks.beats_first,
                beats=marks.beats,
                parts_per_beat=marks.parts_per_beat,
            )
        return out


_TOKEN_LISTS = (
    "channel_resets",
    "channel_starts",
    "recall_silent",
    "recall_sounding",
    "recall_unseen",
    "recall_ends",
    "recall_rows",
    "pin_marks",
)
# what a position is told (``GPT.recall_ids``): nothing (no bar item comes next), or what the channel whose
# item comes next did last: no bar item in view, silent, sounding, unseen
RECALL_OFF, RECALL_NONE, RECALL_SILENT, RECALL_SOUNDING, RECALL_UNSEEN, RECALL_BREAK = range(6)
# RECALL_BREAK (with ``recall_breaks``): silent, where the channel sounded earlier in the song


def latest(mask: torch.Tensor) -> torch.Tensor:
    """`int64[B, T]`: the position of the latest True of `mask` at or before each position, -1 if none."""
    pos = torch.arange(mask.size(1), device=mask.device).expand_as(mask)
    return torch.where(mask, pos, -1).cummax(1).values


class KVCache:
    """Keys and values of the tokens seen so far, one entry per layer, for incremental decoding.

    Holds at most `window` (the model's block size) past positions; `pos` counts every token seen, and
    is the position of the next token.
    """

    def __init__(self, config: GPTConfig, window: int | None = None):
        self.window = window or config.block_size
        self.layers: list[tuple[torch.Tensor, torch.Tensor] | None] = [None] * config.n_layer
        self.pos = 0
        self.tokens: torch.Tensor | None = None  # the last `window` tokens, to read the new ones' channels

    def __len__(self) -> int:
        return self.pos

    def cached(self, layer: int) -> int:
        entry = self.layers[layer]
        return 0 if entry is None else entry[0].size(2)

    def append(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Add new keys/values `[B, H, T, D]`; returns all keys/values to attend to (old + new)."""
        entry = self.layers[layer]
        if entry is not None:
            k = torch.cat([entry[0], k], dim=2)
            v = torch.cat([entry[1], v], dim=2)
        keep = self.window - 1  # room for the next token: a query attends to at most `window` keys
        self.layers[layer] = (k[:, :, -keep:], v[:, :, -keep:]) if keep > 0 else None
        return k, v


def rope_tables(head_dim: int, positions: torch.Tensor, base: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin tables `[T, head_dim/2]` for the given absolute positions."""
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, device=positions.device).float() / head_dim))
    angles = positions.float()[:, None] * inv_freq[None, :]
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate pairs (first half, second half) of the last dimension of `[B, H, T, D]`."""
    x1, x2 = x.float().chunk(2, dim=-1)
    rotated = torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
    return rotated.type_as(x)


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig, layer: int):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.layer = layer
        self.n_head = config.n_head
        self.head_dim = config.n_embd // config.n_head
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.proj.residual = True
        # dropout acts on what each block adds to the residual stream, not on the attention weights: a
        # dropout_p in scaled_dot_product_attention takes it off its fused kernels (training took twice as
        # long on CPU: docs/train.md)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x, cos, sin, cache: KVCache | None = None, songs: torch.Tensor | None = None):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, self.head_dim).transpose(1, 2) for t in (q, k, v))
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is None and songs is not None:  # packed songs: causal, and inside each song only
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=songs)
        elif cache is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            past = cache.cached(self.layer)
            k, v = cache.append(self.layer, k, v)
            if T == 1:  # one new token attends to everything kept
                y = F.scaled_dot_product_attention(q, k, v)
            else:  # new tokens: causal among themselves, a sliding window of `window` keys each
                q_pos = torch.arange(T, device=x.device)[:, None] + past
                k_pos = torch.arange(past + T, device=x.device)[None, :]
                mask = (k_pos <= q_pos) & (q_pos - k_pos < cache.window)
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.proj(y))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.proj.residual = True
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.proj(F.gelu(self.fc(x), approximate="tanh")))


class Block(nn.Module):
    def __init__(self, config: GPTConfig, layer: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config, layer)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x, cos, sin, cache=None, songs=None):
        x = x + self.attn(self.ln_1(x), cos, sin, cache, songs)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.padded_vocab_size, config.n_embd)
        self.wch = nn.Embedding(config.channel_rows, config.n_embd) if config.embeds_channels else None
        rows = config.recall_kind_rows * (2 if config.recall_kinds else 1)
        self.wrec = nn.Embedding(rows, config.n_embd) if config.recalls else None
        # the beats a bar has left after a note's pin (0 .. the longest bar), with ``note_ends``
        self.wleft = nn.Embedding(max(config.beats, 1) + 1, config.n_embd) if config.ends_notes else None
        if config.reads_channels:
            self.register_buffer("_resets", torch.tensor(config.channel_resets), persistent=False)
            self.register_buffer("_starts", torch.tensor(config.channel_starts), persistent=False)
        if config.recalls:
            kinds = torch.zeros(config.padded_vocab_size, dtype=torch.long)
            for kind, tokens in (
                (RECALL_SILENT, config.recall_silent),
                (RECALL_SOUNDING, config.recall_sounding),
                (RECALL_UNSEEN, config.recall_unseen),
            ):
                kinds[list(tokens)] = kind
            self.register_buffer("_kinds", kinds, persistent=False)
            self.register_buffer("_ends", torch.tensor(config.recall_ends), persistent=False)
            self.register_buffer("_rows", torch.tensor(config.recall_rows), persistent=False)
        if config.ends_notes:
            self.register_buffer(
                "_pin_marks", torch.tensor(config.pin_marks, dtype=torch.long), persistent=False
            )
        self.cond_proj = nn.Linear(config.cond_dim, config.n_embd, bias=config.bias)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([Block(config, i) for i in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.padded_vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying
        self.apply(self._init_weights)

    def _init_weights(self, module: nn.Module) -> None:
        # GPT-2's initialisation: N(0, 0.02), residual projections scaled down by depth.
        if isinstance(module, nn.Linear):
            std = 0.02 / math.sqrt(2 * self.config.n_layer) if getattr(module, "residual", False) else 0.02
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self) -> int:
        """Parameter count (the tied embedding counted once)."""
        return sum(p.numel() for p in self.parameters())

    def new_cache(self) -> KVCache:
        return KVCache(self.config)

    def forward(self, idx, cond, targets=None, cache: KVCache | None = None):
        """idx `int64[B,T]`, cond `float32[B,cond_dim]` -> (logits `[B,T,V]`, mean cross-entropy or None).

        With a cache, `idx` holds only the new tokens; their positions continue from `len(cache)`.
        """
        length = idx.size(1)
        start = cache.pos if cache is not None else 0
        limit = self.config.block_size if cache is None else cache.window
        if length > limit:
            what = "block size" if cache is None else "cache window"
            raise ValueError(f"{length} tokens exceed the {what} of {limit}")
        positions = torch.arange(start, start + length, device=idx.device)
        cos, sin = rope_tables(self.config.n_embd // self.config.n_head, positions, self.config.rope_base)
        given = cond
        cond = self.cond_proj(cond.to(self.wte.weight.dtype))
        x = self.wte(idx) + (cond[:, None, :] if cond.dim() == 2 else cond)
        if self.config.reads_channels:
            ids, recall, pattern, ends = self._channels(idx, cache, given)
            if self.wch is not None:
                x = x + self.wch(ids)
            if self.wrec is not None:
                x = x + self.wrec(recall)
            if pattern is not None:
                x = x + torch.where((pattern >= 0)[..., None], self.wte(pattern.clamp(min=0)), 0.0)
            if ends is not None:
                token, left = ends
                x = x + torch.where(
                    (token >= 0)[..., None], self.wte(token.clamp(min=0)) + self.wleft(left), 0.0
                )
        x = self.drop(x)
        songs = self.song_mask(idx) if cache is None else None
        for block in self.blocks:
            x = block(x, cos, sin, cache, songs)
        if cache is not None:
            cache.pos += length
        logits = self.lm_head(self.ln_f(x))[..., : self.config.vocab_size]  # drop the padding rows
        loss = None
        if targets is not None:
            loss = F.cross_entropy(
                logits.float().view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1
            )
        return logits, loss

    def _channels(self, idx: torch.Tensor, cache: KVCache | None, cond: torch.Tensor):
        """Each token's channel id (``channel_ids``), recall (its drum rows from the conditioning ``cond``,
        ``drum_rows``) and pattern recalled (``recall_tokens``) and note end (``note_ends``), the last
        three None where the model has none; with a cache, read with the tokens it has seen."""
        seen = idx
        if cache is not None:
            seen = idx if cache.tokens is None else torch.cat([cache.tokens, idx], dim=1)
            cache.tokens = seen[:, -cache.window :]
        ids = self.channel_ids(seen)
        n = idx.size(1)
        recall = pattern = None
        if self.wrec is not None:
            recall, pattern, nxt = (x[:, -n:] for x in self.recall_tokens(seen, ids))
            pattern = pattern if self.config.recalls_patterns else None
            if self.config.recall_kinds:
                recall = recall + self.drum_rows(recall, nxt, cond)
        ends = tuple(x[:, -n:] for x in self.note_ends(seen)) if self.config.ends_notes else None
        return ids[:, -n:], recall, pattern, ends

    def channel_ids(self, idx: torch.Tensor) -> torch.Tensor:
        """`int64[B, T]`: 1 + the channel whose instrument or item each token writes, 0 for the rest.

        A channel is the count of item starts (``channel_starts``: an instrument's type, EMPTY, NEW, REF,
        HIDE, HOLE) since the last reset (``channel_resets``: BOS, BAR, PIN, FILL, SEP, EOS); a token
        before any reset (a slice from inside a bar) is 0. In the fill layout the content after SEP is
        the channel of its hole: the one the k-th HOLE before SEP stands in."""
        c = self.config
        T = idx.size(1)
        count = torch.isin(idx, self._starts).long().cumsum(1)
        last = latest(torch.isin(idx, self._resets))
        ids = torch.where(last >= 0, count - count.gather(1, last.clamp(min=0)), 0)
        if c.holes and c.sep_id >= 0:
            song = latest(idx == c.bos_id)
            sep = latest(idx == c.sep_id)
            answering = (sep > song) & (idx != c.sep_id)
            hole = (idx >= c.hole_first) & (idx < c.hole_first + c.holes)
            rank = (hole & ~answering).long().cumsum(1)  # holes in the song layout so far, row-wide
            first = rank.gather(1, song.clamp(min=0)) * (song >= 0)  # before this song
            at = torch.searchsorted(rank, first + (idx - c.hole_first) + 1).clamp(max=T - 1)  # k-th hole
            marker = latest(hole & answering)
            of_marker = at.gather(1, marker.clamp(min=0))
            content = answering & (marker > sep)
            ids = torch.where(content, ids.gather(1, of_marker), ids)
        return ids.clamp(0, c.channel_rows - 1)

    def recall_ids(self, idx: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """`int64[B, T]`: at each position where a channel's bar item comes next (a bar line, the end of
        a bar item, a HOLE marker among the fill layout's answers), what that channel did in its last bar
        item so far in the song: ``RECALL_NONE`` (no such item in view), ``RECALL_SILENT`` (EMPTY),
        ``RECALL_SOUNDING`` (a pattern written or named), ``RECALL_UNSEEN`` (a hole, or a ``HIDE``);
        ``RECALL_OFF`` everywhere else (inside a pattern, the header, pinned rows). With ``recall_breaks``
        a silent item is ``RECALL_BREAK`` where the channel sounded earlier in the song (a pattern in a
        bar or in a window's pinned rows, in view): a break, where the songs come back sooner than from an
        intro or a channel never used.

        The channel whose item comes next is ``ids`` (1 + the channel just written, so the next one; 0 at
        a bar line: the first); at an answer's HOLE marker it is the marker's own. Bar items are those
        after a bar line or SEP (``recall_rows``), not a window's pinned rows, so a window's first bar
        recalls nothing. A 2-layer model would otherwise have to count a bar's items and find the same
        channel's item a bar back: the lookup this does for it (docs/train.md)."""
        return self.recall_tokens(idx, ids)[0]

    def drum_rows(self, recall: torch.Tensor, nxt: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """`int64[B, T]`: with ``recall_kinds``, the offset of the drum rows of recall's embedding where
        the channel whose item comes next (``nxt``) is a drum channel: its index is at least the pitch-
        channel count the conditioning (``cond``, `[B, cond_dim]` or `[B, T, cond_dim]`) says; 0 elsewhere."""
        pitch = cond[..., RHYTHM_SLOTS : RHYTHM_SLOTS + PITCH_CHANNEL_SLOTS].argmax(-1) + 1
        if pitch.dim() == 1:
            pitch = pitch[:, None]
        drum = (recall != RECALL_OFF) & (nxt >= pitch)
        return drum.long() * self.config.recall_kind_rows

    def recall_tokens(
        self, idx: torch.Tensor, ids: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(`int64[B, T]` recall, `int64[B, T]` pattern, `int64[B, T]` channel): ``recall_ids``; where
        it recalls a sounding item, the ``REF_k`` token that plays that item's pattern again (-1
        elsewhere, and where the model has no ``recall_patterns``); and the channel whose item comes
        next. k is the stream's number of the pattern, by ``PatternStream``'s rule read from the tokens
        (the tests hold the two together): a ``REF_k`` names k, a ``NEW`` takes the channel's next number
        in the song (a pinned row's ``HIDE_n`` takes n of them), up to the ``refs`` a table holds.

        The token's embedding is added to the position's own (the output layer shares it), so "the same
        pattern as the bar before" is a token the model is shown. Without it a 2-layer model must find
        which of a channel's patterns its last item played: teacher-forced on its own train songs, it
        gave a drum channel's repeat of its last bar 0.57 where the songs do it 0.75 (docs/train.md)."""
        c = self.config
        pos = torch.arange(idx.size(1), device=idx.device).expand_as(idx)
        kind = self._kinds[idx]
        last = latest(torch.isin(idx, self._resets))
        row = idx.gather(1, last.clamp(min=0))
        song = latest(idx == c.bos_id)
        hole = torch.zeros_like(idx, dtype=torch.bool)
        if c.holes and c.sep_id >= 0:
            hole = (idx >= c.hole_first) & (idx < c.hole_first + c.holes)
        marker = hole & (row == c.sep_id)
        in_bars = (last >= 0) & torch.isin(row, self._rows)
        item = (kind > 0) & in_bars & ~marker
        at_bar_line = (last == pos) & (row != c.sep_id)
        decides = marker | (in_bars & (row != c.sep_id) & (at_bar_line | torch.isin(idx, self._ends)))
        nxt = torch.where(marker, ids - 1, ids).clamp(0, c.channel_rows - 2)
        # what says a channel sounded: a pattern written or named, or pinned by HIDE (not a hole)
        played = (kind == RECALL_SOUNDING) | ((kind == RECALL_UNSEEN) & ~hole)
        numbers = c.recalls_patterns
        if numbers:  # how many patterns each token numbers: NEW one, HIDE_n n
            named = (idx == c.new_id).long()
            if c.hides:
                hidden = idx - c.hide_first + 1
                named = torch.where((hidden >= 1) & (hidden <= c.hides), hidden, named)
            ref = idx - c.ref_first + 1
            is_ref = (ref >= 1) & (ref <= c.refs)
        out = torch.full_like(idx, RECALL_NONE)
        pattern = torch.full_like(idx, -1)
        for channel in range(c.channel_rows - 1):
            mine = ids == channel + 1
            at = latest(item & mine)
            found = (at >= 0) & (at >= song)
            recalled = torch.where(found, kind.gather(1, at.clamp(min=0)), RECALL_NONE)
            if c.recall_breaks:
                sounded = latest(played & mine)
                broke = (recalled == RECALL_SILENT) & (sounded >= 0) & (sounded >= song)
                recalled = torch.where(broke, RECALL_BREAK, recalled)
            out = torch.where(nxt == channel, recalled, out)
            if numbers:
                count = (named * mine).cumsum(1)  # patterns this channel numbered, row-wide
                before = torch.where(song >= 0, count.gather(1, song.clamp(min=0)), 0)  # before this song
                k = torch.where(is_ref, ref, count - before).gather(1, at.clamp(min=0))
                k = torch.where((recalled == RECALL_SOUNDING) & (k >= 1) & (k <= c.refs), k, 0)
                pattern = torch.where(nxt == channel, torch.where(k > 0, c.ref_first + k - 1, -1), pattern)
        return torch.where(decides, out, RECALL_OFF), torch.where(decides, pattern, -1), nxt

    def note_ends(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(`int64[B, T]` token, `int64[B, T]` beats left): at each pin of a note (its length token, and
        that pin's volume or bend after it), the token that would start a note where the pin ends this
        one (the position token of the note's start plus the pin's length, or ``body_end`` where that is
        the bar's end) and how many beats the bar has left after it (rounded up); -1 and 0 elsewhere.
        A bar's length is the song's beats per bar (its header's beats token; the longest bar without one).

        The token's embedding is added to the pin's own (the output layer shares it), so "the next note
        starts where this one ends" is a token the model is shown. Without it a model must add two
        numbers it reads as token ids, and a 2-layer one did not: on its own train songs it gave the next
        note where the last one ended 0.50 where the songs do it 0.65 of the time (docs/train.md)."""
        c = self.config
        onset = idx - c.onset_first
        length = idx - c.length_first + 1
        is_onset = (onset >= 0) & (onset < c.onsets)
        is_length = (length >= 1) & (length <= c.lengths)
        start, pin = latest(is_onset), latest(is_length)
        at_pin = (start >= 0) & (pin > start) & (is_length | torch.isin(idx, self._pin_marks))
        end = onset.gather(1, start.clamp(min=0)) + length.gather(1, pin.clamp(min=0))
        beats = idx - c.beats_first + 1
        header = latest((beats >= 1) & (beats <= c.beats))
        song = latest(idx == c.bos_id)
        bar = torch.where(
            (header >= 0) & (header >= song),
            beats.gather(1, header.clamp(min=0)) * c.parts_per_beat,
            c.onsets,
        )
        token = torch.where(end < bar, c.onset_first + end, c.body_end)
        left = torch.div(bar - end + c.parts_per_beat - 1, c.parts_per_beat, rounding_mode="floor")
        return torch.where(at_pin, token, -1), torch.where(at_pin, left.clamp(0, c.beats), 0)

    def song_mask(self, idx: torch.Tensor) -> torch.Tensor | None:
        """`bool[B, 1, T, T]`: causal attention inside each song of a packed row (a song starts at BOS);
        None when no row holds a second song (plain causal attention, the fast path)."""
        starts = idx == self.config.bos_id
        if not bool(starts[:, 1:].any()):
            return None
        song = starts.cumsum(dim=1)
        T = idx.size(1)
        causal = torch.ones(T, T, dtype=torch.bool, device=idx.device).tril()
        return ((song[:, :, None] == song[:, None, :]) & causal)[:, None]

    def flops_per_token(self, context: int | None = None) -> float:
        """Training FLOPs per token (forward + backward): 6N plus attention (PaLM appendix B)."""
        c = self.config
        T = context or c.block_size
        return 6 * self.num_params() + 12 * c.n_layer * c.n_embd * T


# Named configurations; vocab_size and cond_dim are filled in from the dataset with `with_data`.
CONFIGS: dict[str, GPTConfig] = {
    # a song header alone is ~110 tokens; 128 wide costs the 2-core CPU about what 64 did (docs/train.md)
    "tiny": GPTConfig(block_size=512, n_layer=2, n_head=4, n_embd=128),
    "small": GPTConfig(block_size=256, n_layer=4, n_head=4, n_embd=256),
    "base": GPTConfig(block_size=512, n_layer=12, n_head=12, n_embd=768),
}


def count_params(config: GPTConfig) -> int:
    """Parameter count from the configuration alone (no weights built)."""
    with torch.device("meta"):
        return GPT(config).num_params()
