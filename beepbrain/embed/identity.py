"""Which songs hold the same music: fingerprints of a song's notes, for the cases its vector cannot tell.

Song vectors are blind to key (a transposed song has the vector of the original), so `beepbrain similar`
scores a second save of a song, a transposed copy of it and a copy of that save alike. Two fingerprints
order them:

- ``notes_fingerprint``: two songs share it when every channel plays the same notes in every bar, at the
  same sounding pitch (the song's key plus the note's pitch; drums by drum), with the same timing
  (parts of the bar) and the same pins (bends, volume). Tempo, instruments, the scale and channels without
  notes do not count: they change how the notes are played, not which. Songs sharing it are one piece of
  music saved twice; a transposed copy (by its notes or its key) does not share it.
- ``form_fingerprint``: the whole song (notes, sequence, instruments, tempo, every setting but the
  channels' octave, below) with its pitched notes moved so that the lowest sits at 0 and the key folded
  in. Songs sharing it are the same song in another key, all else equal: a transposed copy shares it
  with its original, a re-save with other instruments does not. ``lowest_pitch`` (the lowest sounding
  pitch) says how far apart two such songs are.

A channel's ``octave`` is not a transposition: BeepBox's notes store absolute pitches (0-84), and the octave
(``octaveScrollBar`` in its JSON) is where the editor's scroll bar sits, which the URL codec also uses as
the base of its pitch deltas; BeepBox's synth sounds pitch ``p`` in key ``k`` at ``k + p`` whatever the
octave. So a song saved again with the scroll bar moved shares both fingerprints with the original and
has its ``lowest_pitch``. (Before ``store.EMBED_VERSION`` 2 the octave was added as 12 x octave.)
"""

from __future__ import annotations

import copy
import hashlib


def _digest(value) -> str:
    return hashlib.sha1(repr(value).encode()).hexdigest()[:16]


def _offset(song, c: int) -> int:
    """What turns channel ``c``'s note pitches into sounding pitches: 0 for drums, else the song's key (the
    channel's octave is the editor's scroll, not a shift: see the module docstring)."""
    return 0 if song.is_noise_channel(c) else song.key


def fingerprints(song) -> dict:
    """``notes_hash``, ``form_hash`` and ``lowest_pitch`` of a song: the columns `song_embeddings` stores
    and the parameters `similar_to_vector` takes."""
    return {
        "notes_hash": notes_fingerprint(song),
        "form_hash": form_fingerprint(song),
        "lowest_pitch": lowest_pitch(song),
    }


def notes_fingerprint(song) -> str | None:
    """16 hex digits naming the song's sounding notes, or None for a song without notes."""
    channels = []
    for c in range(len(song.channels)):
        noise = song.is_noise_channel(c)
        offset = _offset(song, c)
        bars = []
        for bar in range(song.bar_count):
            pattern = song.pattern_at(c, bar)
            notes = pattern.notes if pattern is not None else []
            bars.append(
                tuple(
                    (
                        n.start,
                        n.end,
                        tuple(p + offset for p in n.pitches),
                        tuple((pin.time, pin.interval, pin.size) for pin in n.pins),
                    )
                    for n in sorted(notes, key=lambda n: (n.start, n.end, n.pitches))
                )
            )
        if any(bars):
            channels.append((noise, song.parts_per_bar, tuple(bars)))
    return _digest(channels) if channels else None


def lowest_pitch(song) -> int | None:
    """The lowest sounding pitch (key + note pitch) of any pitched note, None without one."""
    pitches = [
        _offset(song, c) + p
        for c, channel in enumerate(song.channels)
        if not song.is_noise_channel(c)
        for pattern in channel.patterns
        for note in pattern.notes
        for p in note.pitches
    ]
    return min(pitches) if pitches else None


def form_fingerprint(song) -> str:
    """16 hex digits naming the whole song up to transposition (see the module docstring)."""
    low = lowest_pitch(song)
    form = copy.deepcopy(song)
    for c, channel in enumerate(form.channels):
        channel.octave = 0  # the editor's scroll: not part of the song's form
        if low is None or form.is_noise_channel(c):
            continue
        shift = _offset(form, c) - low
        for pattern in channel.patterns:
            for note in pattern.notes:
                note.pitches = [p + shift for p in note.pitches]
    form.key = 0
    return _digest(form)
