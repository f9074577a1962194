"""BeepBox's 12 noise pitches and General MIDI percussion (channel 10), both ways.

BeepBox's noise pitches run from low rumble (0) to high hiss (11). Export (``beepbrain.midi.write``) plays
pitch ``p`` as the kit sound ``GM_DRUMS[p]``, from bass drum up through toms and snares to hi-hats and
cymbals. Import (``noise_pitch``) brings those twelve sounds back to the pitch they were written from; every
other General MIDI percussion key goes to the pitch of the nearest sound of its family (kicks low, toms in
the middle, snares and claps above them, hi-hats and shakers high, cymbals highest).
"""

from __future__ import annotations

# General MIDI percussion notes for BeepBox noise pitches 0 (lowest) .. 11 (highest).
GM_DRUMS = (35, 36, 41, 38, 45, 40, 48, 39, 42, 44, 46, 49)

_FAMILIES = {
    # kicks and surdos
    35: 0,
    36: 1,
    86: 0,
    87: 1,
    # toms, bongos, congas, timbales: low ones 2 or 4, high ones 6
    41: 2,
    43: 2,
    45: 4,
    47: 4,
    48: 6,
    50: 6,
    61: 4,
    64: 4,
    66: 4,
    60: 6,
    62: 6,
    63: 6,
    65: 6,
    78: 6,
    79: 6,
    # snares
    38: 3,
    40: 5,
    # claps, sticks, clicks, blocks, cowbells, agogos, castanets
    27: 7,
    28: 7,
    29: 7,
    30: 7,
    31: 7,
    32: 7,
    33: 7,
    34: 7,
    37: 7,
    39: 7,
    56: 7,
    67: 7,
    68: 7,
    75: 7,
    76: 7,
    77: 7,
    85: 7,
    # hi-hats, shakers, tambourines
    42: 8,
    44: 9,
    54: 9,
    58: 9,
    69: 9,
    70: 9,
    73: 9,
    74: 9,
    82: 9,
    # open hats, rides, bells, triangles
    46: 10,
    51: 10,
    53: 10,
    59: 10,
    80: 10,
    81: 10,
    83: 10,
    # crashes, splashes, chinas, whistles, bell tree
    49: 11,
    52: 11,
    55: 11,
    57: 11,
    71: 11,
    72: 11,
    84: 11,
}
GM_TO_NOISE: dict[int, int] = {**_FAMILIES, **{key: pitch for pitch, key in enumerate(GM_DRUMS)}}


def noise_pitch(key: int) -> int:
    """BeepBox noise pitch 0..11 for General MIDI percussion key ``key`` (any 0..127)."""
    pitch = GM_TO_NOISE.get(key)
    if pitch is not None:
        return pitch
    return 7 if key < 35 else 11  # outside the GM kit: clicks below it, cymbal-like hiss above
