"""Patterns as vectors: a small self-supervised encoder from one channel's bar to 256 numbers.

- ``grid``: a pattern's notes, and their rendering on a fixed 96-step x 64-row grid.
- ``augment``: the edits contrastive training treats as "the same pattern" (a note moved, removed or
  added, a transposition).
- ``model``: the encoder (pitch-shift-equivariant convolutions pooled over pitch).
- ``train``: contrastive training tracked in MLflow; ``registry``: logging and loading `beepbrain-embed`.
- ``vectors``: songs to pattern and song vectors; ``store``: the Parquet tables and DuckDB views.
- ``frechet``: the Fréchet distance between two sets of pattern vectors.
"""
