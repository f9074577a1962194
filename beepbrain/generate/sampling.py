"""Grammar-constrained sampling of token sequences from a trained model (or any next-token scorer).

The tokenizer's grammar says which tokens may come next (channel order, bar lines, pitch ranges, the
song's end), so every sampled sequence decodes into a valid song. The model runs with its KV cache: the
tokens since the last call (often several at once: forced tokens such as bar lines need no sampling)
are fed in one call. A song longer than the context goes on in a ``SongWindow``: the model's view moves
to a later bar line and becomes the song from there as a song of its own (``tokenizer.view``: the header,
the patterns numbered inside the view), exactly as training windows are cut, with a grammar replayed over
it; the whole song is put back together at the end (``tokenizer.rejoin``). The uncached path feeds the
same view every step, so both give the same tokens.

A prompt (``prefix``) is only checked for validity: the grammar's musical constraints (rhythm grid, scale,
a first bar with notes) hold for what is sampled after it (``grammar.relax``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from beepbrain.tokens.protocol import Tokenizer


@dataclass(frozen=True)
class SamplingConfig:
    temperature: float = 1.0
    top_k: int = 0  # 0: no limit
    top_p: float = 1.0  # nucleus; 1.0: no limit
    seed: int = 0
    header_temperature: float | None = None  # the song's header (tempo, key, instruments); None: temperature
    # a pitch-channel note's shape after its first pitch (more pitches, volume, length, bends); None: temperature
    shape_temperature: float | None = None
    # the choice between kinds of token (a note or the pattern's end, one more pitch or the length, ...):
    # the summed probability of each kind at this temperature, then the token within its kind at the
    # step's own; None: one temperature over all tokens (``choose``)
    kind_temperature: float | None = None

    def __post_init__(self):
        temperatures = (
            self.temperature,
            self.header_temperature,
            self.shape_temperature,
            self.kind_temperature,
        )
        if any(t is not None and t < 0 for t in temperatures):
            raise ValueError("temperature must be >= 0 (0 = greedy)")
        if self.top_k < 0:
            raise ValueError("top_k must be >= 0")
        if not 0 < self.top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")


def token_kinds(vocab) -> np.ndarray | None:
    """``int64[V]``: each token's kind for ``SamplingConfig.kind_temperature``: its vocabulary family, a
    special token (BAR, EMPTY, END, ...) a kind of its own; None for a vocabulary without families."""
    family = getattr(vocab, "family", None)
    if family is None:
        return None
    family = np.asarray(family, dtype=np.int64)
    return np.where(family >= 0, family, family.max() + 1 + np.arange(len(family)))


def _by_kind(
    scores: np.ndarray, kinds: np.ndarray, temperature: float, kind_temperature: float
) -> np.ndarray:
    """Log-probabilities: each kind's summed probability (at 1) tempered by ``kind_temperature``, times
    each token's probability within its kind tempered by ``temperature``.

    One temperature below 1 over all tokens favours a kind whose probability sits on one token (a
    pattern's END, a note's length) over one spread across many (the next note's position, a chord's
    further pitch), so songs thin out and lose their chords (docs/generate.md); this sharpens which
    value, and the kinds only as ``kind_temperature`` says."""
    log_p = scores - np.logaddexp.reduce(scores)
    groups, of = np.unique(kinds, return_inverse=True)
    mass = np.zeros(len(groups))
    np.add.at(mass, of, np.exp(log_p))
    log_kind = np.log(np.maximum(mass, 1e-300))
    if kind_temperature == 0:
        log_kind = np.where(log_kind == log_kind.max(), 0.0, -np.inf)
    else:
        log_kind = log_kind / kind_temperature
    log_kind -= np.logaddexp.reduce(log_kind)
    within = log_p / temperature
    top = np.full(len(groups), -np.inf)
    np.maximum.at(top, of, within)
    total = np.zeros(len(groups))
    np.add.at(total, of, np.exp(within - top[of]))
    return log_kind[of] + within - (top + np.log(total))[of]


def choose(
    logits: np.ndarray,
    mask: np.ndarray,
    cfg: SamplingConfig,
    rng: np.random.Generator,
    kinds: np.ndarray | None = None,
) -> int:
    """Pick a token from ``logits`` among those ``mask`` allows, by temperature, top-k and top-p; with
    ``kinds`` (``token_kinds``) and ``cfg.kind_temperature``, the kind first at its own temperature."""
    allowed = np.flatnonzero(mask)
    if len(allowed) == 0:
        raise RuntimeError("the grammar allows no token here")
    if len(allowed) == 1:
        return int(allowed[0])
    scores = np.asarray(logits, dtype=np.float64)[allowed]
    if cfg.temperature == 0:
        return int(allowed[int(np.argmax(scores))])
    if kinds is not None and cfg.kind_temperature is not None:
        scores = _by_kind(scores, kinds[allowed], cfg.temperature, cfg.kind_temperature)
    else:
        scores = scores / cfg.temperature
    if cfg.top_k and cfg.top_k < len(scores):  # the k best, in descending order
        order = np.argpartition(-scores, cfg.top_k - 1)[: cfg.top_k]
        order = order[np.argsort(-scores[order], kind="stable")]
    elif cfg.top_p < 1.0:
        order = np.argsort(-scores, kind="stable")
    else:  # plain sampling needs no order
        order = np.arange(len(scores))
    scores = scores[order]
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    if cfg.top_p < 1.0:
        keep = int(np.searchsorted(np.cumsum(probs), cfg.top_p) + 1)
        probs = probs[:keep] / probs[:keep].sum()
    cdf = np.cumsum(probs)
    pick = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), len(probs) - 1)
    return int(allowed[order[pick]])


class ModelScorer:
    """Next-token logits from a GPT, with or without its KV cache, over a sliding window."""

    def __init__(self, model, cond: np.ndarray, *, use_cache: bool = True, device: str = "cpu"):
        import torch

        self.torch = torch
        self.model = model
        self.block_size = int(model.config.block_size)
        self.cond = torch.as_tensor(np.asarray(cond, dtype=np.float32), device=device).unsqueeze(0)
        self.use_cache = use_cache
        self.device = device
        self.cache = None
        self.cached = 0  # tokens of the context already in the cache
        self.forward_tokens = 0  # tokens pushed through the model, for throughput figures

    def reset(self) -> None:
        """The view was replaced (it slid): forget the cached keys."""
        self.cache = None
        self.cached = 0

    def logits(self, context: Sequence[int]) -> np.ndarray:
        torch = self.torch
        if len(context) > self.block_size:
            raise ValueError(
                f"{len(context)} tokens exceed the model's context of {self.block_size}: "
                "sample through a SongWindow"
            )
        with torch.no_grad():
            if self.use_cache:
                if self.cache is None:
                    self.cache = self.model.new_cache()  # a whole window, batch of one, on the model's device
                    self.cached = 0
                fresh = context[self.cached :]
                idx = torch.tensor([list(fresh)], dtype=torch.long, device=self.device)
                out, _ = self.model(idx, self.cond, cache=self.cache)
                self.cached += len(fresh)
                self.forward_tokens += len(fresh)
            else:
                window = context
                idx = torch.tensor([list(window)], dtype=torch.long, device=self.device)
                out, _ = self.model(idx, self.cond)
                self.forward_tokens += len(window)
        return out[0, -1].float().cpu().numpy()


SINGLE_THREAD_PARAMS = 30_000_000


@contextmanager
def decoding_threads(model) -> Iterator[None]:
    """One CPU thread while decoding a small model token by token: its per-token work is too small to
    share, and on a busy machine torch's thread pool spins (measured: 9x slower with 2 threads under load).
    Bigger models, and models on an accelerator, keep torch's setting."""
    import torch

    small = sum(p.numel() for p in model.parameters()) < SINGLE_THREAD_PARAMS
    on_cpu = next(model.parameters()).device.type == "cpu"
    before = torch.get_num_threads()
    if small and on_cpu and before > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


class ContextTooShort(RuntimeError):
    """The song being sampled cannot go on: one bar of it, with the header, takes more than the model's
    context, so no view of it fits."""


class SongWindow:
    """The song being sampled and the model's view of it. ``view`` is the song from bar ``start`` on as a
    song of its own (at first the song itself); ``grammar`` is the grammar of that view. When the view
    fills ``block_size`` tokens it moves to the first later bar line that leaves a quarter of the context
    free and whose view writes out every pattern its bars play (``tokenizer.view``, checked against
    ``tokenizer.window``; where none does, the first that leaves the room), and a new grammar (``make_grammar(start, first)``: ``first`` is whether the
    sampled part has not begun yet) is replayed over it. ``tokens()`` is the whole song."""

    def __init__(
        self,
        grammar,
        *,
        tokenizer: Tokenizer | None = None,
        conditioning=None,
        block_size: int | None = None,
        make_grammar: Callable[[int, bool], object] | None = None,
    ):
        self.grammar = grammar
        self.tokenizer, self.conditioning = tokenizer, conditioning
        self.block_size, self.make_grammar = block_size, make_grammar
        self.view: list[int] = []
        self.before: list[int] = []  # the whole song as it stood when the view last moved
        self.start = 0
        self.slides = 0
        self.sampling = False  # the prompt is done: what comes now is the model's
        self.whole: list[int] | None = None  # the whole song, while the view is a plain tail of it

    def push(self, token: int) -> None:
        self.grammar.advance(int(token))
        self.view.append(int(token))
        if self.whole is not None:
            self.whole.append(int(token))

    @property
    def full(self) -> bool:
        return (
            self.block_size is not None
            and self.make_grammar is not None
            and len(self.view) >= self.block_size
        )

    def tokens(self) -> list[int]:
        if self.whole is not None:
            return list(self.whole)
        if not self.start:
            return list(self.view)
        return self.tokenizer.rejoin(self.before, self.view, self.conditioning, self.start)

    def slide(self) -> None:
        tok, cond = self.tokenizer, self.conditioning
        whole = self.tokens()
        current = len(tok.bar_lines(whole)) - 1  # the bar being written
        view, fits = None, None
        for start in range(self.start + 1, current + 1):
            view = tok.view(whole, cond, start, self.block_size)
            if len(view) <= self.block_size * 3 // 4:
                if len(tok.window(view, cond, self.block_size)) == len(view):
                    break  # every REF in the view names a pattern it shows
                fits = fits or (view, start)
        else:
            if fits is not None:  # no later bar line gives a view that shows every pattern it plays
                view, start = fits
        if tok.HAS_HEADER and (view is None or len(view) > self.block_size * 3 // 4):
            # a long bar: the view from it with every earlier pattern named only (HIDE), the most room
            bare = tok.view(whole, cond, current, 0)
            if len(bare) < min(len(view) if view is not None else self.block_size, len(self.view)):
                view, start = bare, current
        if (view is None or len(view) >= self.block_size) and not tok.HAS_HEADER:
            # a tick bar longer than the context: the view is the song's last half context (no header or
            # pattern numbers lose their meaning there), and the grammar goes on as it was
            self.whole, self.view = whole, whole[len(whole) - self.block_size // 2 :]
            self.slides += 1
            return
        if view is None or len(view) >= self.block_size:
            raise ContextTooShort(
                f"one bar of this song takes more than the model's context of {self.block_size} "
                "tokens: use a model with a longer context"
            )
        grammar = self.make_grammar(start, not self.sampling)
        relax = getattr(grammar, "relax", None)
        if relax is not None:
            relax(True)
        for token in view:
            grammar.advance(token)
        if relax is not None:
            relax(not self.sampling)
        self.before, self.view, self.start, self.grammar = whole, view, start, grammar
        self.whole = None
        self.slides += 1


def sample_sequence(
    grammar,
    next_logits: Callable[[list[int]], np.ndarray],
    cfg: SamplingConfig,
    *,
    prefix: Sequence[int] = (),
    max_tokens: int | None = None,
    on_token: Callable[[int], None] | None = None,
    window: SongWindow | None = None,
    on_slide: Callable[[], None] | None = None,
    kinds: np.ndarray | None = None,
) -> list[int]:
    """Sample until the grammar is done: ``prefix`` first (checked against the grammar for validity only),
    then tokens from ``next_logits(view)`` masked by the grammar. Forced tokens (one allowed) skip the
    scorer. ``window`` (default: no sliding) holds the model's view; ``on_slide`` is called when it moves.
    ``kinds``: each token's kind, for ``cfg.kind_temperature`` (``token_kinds``)."""
    from dataclasses import replace

    rng = np.random.default_rng(cfg.seed)
    header_cfg = cfg if cfg.header_temperature is None else replace(cfg, temperature=cfg.header_temperature)
    shape_cfg = cfg if cfg.shape_temperature is None else replace(cfg, temperature=cfg.shape_temperature)
    song = window or SongWindow(grammar)
    relax = getattr(song.grammar, "relax", None)
    if relax is not None:
        relax(True)
    for i, token in enumerate(prefix):
        if song.full:
            song.slide()
        if not song.grammar.mask()[token]:
            raise ValueError(f"prompt token {token} at position {i} breaks the grammar")
        song.push(int(token))
    relax = getattr(song.grammar, "relax", None)
    if relax is not None:
        relax(False)
    song.sampling = True
    written = len(prefix)
    while not song.grammar.done:
        if max_tokens is not None and written >= max_tokens:
            raise RuntimeError(f"song not finished after {max_tokens} tokens")
        if song.full:
            song.slide()
            if on_slide is not None:
                on_slide()
        grammar = song.grammar
        mask = grammar.mask()
        allowed = np.flatnonzero(mask)
        if len(allowed) == 0:
            raise RuntimeError("the grammar allows no token here")
        if len(allowed) == 1:  # forced (every grammar's first token is, so the view is never empty below)
            token = int(allowed[0])
        else:
            # a grammar with a header (the pattern tokenizer's) may sample it, and a note's shape after its
            # first pitch, at their own temperatures
            step_cfg = cfg
            if getattr(grammar, "in_header", False):
                step_cfg = header_cfg
            elif getattr(grammar, "in_note_shape", False):
                step_cfg = shape_cfg
            token = choose(next_logits(song.view), mask, step_cfg, rng, kinds)
        song.push(token)
        written += 1
        if on_token is not None:
            on_token(token)
    return song.tokens()


def sample_song(
    model,
    tokenizer: Tokenizer,
    conditioning,
    make_grammar: Callable[[int, bool], object],
    cfg: SamplingConfig,
    *,
    prefix: Sequence[int] = (),
    use_cache: bool = True,
    on_token: Callable[[int], None] | None = None,
    scorer_out: list | None = None,
) -> list[int]:
    """One song's tokens sampled from ``model`` through a ``SongWindow`` (``make_grammar(start, first)``:
    the grammar of the song from bar ``start``), the scorer's cache reset when the view slides; the model
    on one thread where that is faster (``decoding_threads``). ``scorer_out`` gets the scorer."""
    device = next(model.parameters()).device.type
    scorer = ModelScorer(model, conditioning.vector(), use_cache=use_cache, device=device)
    window = SongWindow(
        make_grammar(0, True),
        tokenizer=tokenizer,
        conditioning=conditioning,
        block_size=scorer.block_size,
        make_grammar=make_grammar,
    )
    scorer.window = window
    if scorer_out is not None:
        scorer_out.append(scorer)
    with decoding_threads(model):
        return sample_sequence(
            window.grammar,
            scorer.logits,
            cfg,
            prefix=prefix,
            on_token=on_token,
            window=window,
            on_slide=scorer.reset,
            kinds=token_kinds(tokenizer.vocab),
        )
