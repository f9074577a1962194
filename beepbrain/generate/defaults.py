"""Defaults of the main job (`beepbrain run`, the pipeline flow): sized so the whole run takes about
3-5 minutes on a 2-core laptop CPU (see docs/generate.md for the measured breakdown)."""

RUN_DEFAULTS = {
    "dataset": "sample",
    "config": "tiny",
    "steps": 800,  # x 8 rows of 512 tokens: 3.3M tokens (docs/generate.md)
    "songs": 3,
    "bars": 16,
    "temperature": 1.0,  # the model's own distribution: below 1 its notes come short and many (docs/generate.md)
    "header_temperature": 1.0,  # tempo, key, instruments at 1: as varied as the corpus
    "tokenizer": "pattern",  # the comparison's winner (docs/pattern-tokens.md)
    "augment_channels": 0,
    "augment_transpose": 0,
    "augment_octaves": 1,  # pitch channels an octave up and down: 3.38 vs 3.47 bits per note (docs/generate.md)
    "fill": 0.25,  # a quarter of the training windows are fill tasks, for `beepbrain fill` (docs/fill.md)
}
