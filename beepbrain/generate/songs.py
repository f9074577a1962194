"""New songs from a trained model: conditioning and length in, valid BeepBox songs out.

``generate_song`` builds the tokenizer's grammar for the asked conditioning and bar count, samples under
it (see ``sampling``), decodes the tokens into a ``Song`` and checks it round-trips through the project's
own codec. With a prompt song, its tokens are the prefix and the model continues it for more bars.

With the pattern tokenizer the model writes the song's header too: tempo, key, scale and each channel's
instrument, unless the request fixes them (``tempo``, ``key``, ``scale``, ``instruments``: the grammar then
forces those tokens), note starts and pin times keep to the rhythm's grid, and pitch-channel notes to the
header's scale (as BeepBox's editor places them), and the first bar is never silent; a request with
``constraints=False`` (``beepbrain generate --free``) drops those three and asks only for a valid song. With
the tick tokenizer the stream holds notes only: songs get BeepBox's default settings (a prompt's carry over).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from beepbrain.format import parse_song
from beepbrain.format.config import BAR_COUNT_MAX
from beepbrain.format.song import Song
from beepbrain.generate.sampling import SamplingConfig, sample_song
from beepbrain.tokens.protocol import Tokenizer

BEEPBOX_URL = "https://www.beepbox.co/#"
CHROMATIC_SCALE = 11  # BeepBox's "expert" scale


@dataclass(frozen=True)
class SongRequest:
    """What to generate: rhythm (0-4), channel counts, length; or a prompt song to continue."""

    rhythm: int = 1
    pitch_channels: int = 3
    drum_channels: int = 1
    bars: int = 16
    beats_per_bar: int = 8
    prompt: Song | None = None
    tempo: int | None = None  # pattern tokenizer: fixed header values (None: the model chooses)
    key: int | None = None
    scale: int | None = None
    instruments: tuple[tuple[int, int], ...] = ()  # (channel, instrument type) pairs to force
    # the grammar's musical constraints (tokenizer.GRAMMAR_CONSTRAINTS: notes on the rhythm's grid, in the
    # header's scale, a first bar with sound); False: free sampling, nothing asked beyond a valid song
    constraints: bool = True


@dataclass
class GeneratedSong:
    song: Song
    tokens: list[int]
    seed: int
    seconds: float
    stats: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return BEEPBOX_URL + self.song.to_url()


def _conditioning(request: SongRequest):
    from beepbrain.tokens import Conditioning

    if request.prompt is not None:
        return Conditioning.of_song(request.prompt)
    return Conditioning(request.rhythm, request.pitch_channels, request.drum_channels)


def fixed_header(tokenizer: Tokenizer, request: SongRequest) -> dict:
    """The grammar's fixed values for ``request``: header values and instrument types the user chose (a
    prompt's own header comes first, so none with a prompt), and the musical constraints the tokenizer's
    grammar offers (notes on the rhythm's grid, pitches in the header's scale: what BeepBox's editor lets a
    person write; a first bar with sound), unless ``request.constraints`` is False (free sampling: only
    what makes a valid song). With a prompt they hold for the part sampled after it."""
    fixed = {
        "tempo": request.tempo,
        "key": request.key,
        "scale": request.scale,
        "instrument_types": dict(request.instruments) or None,
    }
    if request.prompt is not None:
        chosen = [k for k, v in fixed.items() if v is not None]
        if chosen:
            raise ValueError(f"a prompt's own header sets {', '.join(chosen)}: leave them out with --prompt")
    if request.constraints:
        for constraint in tokenizer.GRAMMAR_CONSTRAINTS:
            fixed[constraint] = True
    return {k: v for k, v in fixed.items() if v is not None}


def generate_tokens(
    model,
    tokenizer: Tokenizer,
    request: SongRequest,
    sampling: SamplingConfig,
    *,
    use_cache: bool = True,
    on_token: Callable[[int], None] | None = None,
    scorer_out: list | None = None,
) -> tuple[list[int], object, int]:
    """Sample one song's tokens; returns them, the conditioning and the beats per bar used."""
    cond = _conditioning(request)
    prefix: list[int] = []
    beats_per_bar = request.beats_per_bar
    total_bars = request.bars
    if request.prompt is not None:
        prefix, total_bars = tokenizer.prompt_tokens(request.prompt, request.bars)
        beats_per_bar = request.prompt.beats_per_bar
    if total_bars > BAR_COUNT_MAX:
        raise ValueError(f"the song would have {total_bars} bars; BeepBox holds at most {BAR_COUNT_MAX}")
    fixed = fixed_header(tokenizer, request)

    def make_grammar(start_bar: int, first: bool):
        """The grammar of the song from ``start_bar`` on (a window); ``first``: nothing sampled yet."""
        options = dict(fixed)
        if not first:
            options.pop("start_with_notes", None)
        return tokenizer.grammar(cond, beats_per_bar=beats_per_bar, bars=total_bars - start_bar, **options)

    tokens = sample_song(
        model,
        tokenizer,
        cond,
        make_grammar,
        sampling,
        prefix=prefix,
        use_cache=use_cache,
        on_token=on_token,
        scorer_out=scorer_out,
    )
    return tokens, cond, beats_per_bar


def generate_song(
    model,
    tokenizer: Tokenizer,
    request: SongRequest,
    sampling: SamplingConfig,
    *,
    use_cache: bool = True,
    on_token: Callable[[int], None] | None = None,
) -> GeneratedSong:
    """One new song; raises RuntimeError if the result does not survive the codec round trip."""
    started = time.perf_counter()
    was_training = model.training
    model.eval()
    try:
        tokens, cond, beats_per_bar = generate_tokens(
            model, tokenizer, request, sampling, use_cache=use_cache, on_token=on_token
        )
    finally:
        model.train(was_training)
    song = tokenizer.decode(np.asarray(tokens), cond, beats_per_bar=beats_per_bar)
    if not tokenizer.HAS_HEADER:  # no header in the stream (tick tokenizer): settings come from outside
        if request.prompt is not None:
            carry_settings(request.prompt, song)
        else:
            song.scale = CHROMATIC_SCALE  # the model writes any pitch: let BeepBox's editor show them all
    check_song(song, cond)
    return GeneratedSong(song=song, tokens=tokens, seed=sampling.seed, seconds=time.perf_counter() - started)


def generate_songs(
    model,
    tokenizer: Tokenizer,
    request: SongRequest,
    sampling: SamplingConfig,
    count: int = 1,
    *,
    progress: Callable[[int, GeneratedSong], None] | None = None,
) -> list[GeneratedSong]:
    """``count`` songs with seeds ``sampling.seed``, ``+1``, ... (so each is reproducible on its own)."""
    from dataclasses import replace

    out = []
    for i in range(count):
        result = generate_song(model, tokenizer, request, replace(sampling, seed=sampling.seed + i))
        out.append(result)
        if progress is not None:
            progress(i, result)
    return out


def carry_settings(prompt: Song, song: Song) -> None:
    """Give a continuation its prompt's tempo, key, scale, and each channel's first instrument and octave."""
    song.tempo, song.key, song.scale = prompt.tempo, prompt.key, prompt.scale
    if prompt.channel_count != song.channel_count:
        return
    for src, dst in zip(prompt.channels, song.channels, strict=True):
        if src.instruments:  # the tokens keep no per-pattern instrument choice: the first one plays all
            dst.instruments = [copy.deepcopy(src.instruments[0])]
            dst.octave = src.octave
            for pattern in dst.patterns:
                pattern.instruments = [0]


def check_song(song: Song, cond) -> None:
    """The song must be what was asked for and decode with the project's codec from its own URL."""
    url = song.to_url()
    again = parse_song(url)
    if (again.pitch_channel_count, again.noise_channel_count, again.rhythm) != (
        cond.pitch_channels,
        cond.noise_channels,
        cond.rhythm,
    ):
        raise RuntimeError("generated song does not match its conditioning after the codec round trip")
    if again.to_url() != url:
        raise RuntimeError("generated song does not survive the codec round trip")
