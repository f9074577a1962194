"""Loading the registered model for a command: the model, or one line on stderr and the exit code."""

from __future__ import annotations

import sys


def load_or_explain(model_uri: str, tracking_uri: str):
    """``(model, tokenizer, info), None`` or ``None, exit code`` after one line on stderr: 2 when there is
    no such model (the user's to fix), 1 when the store or the model is broken."""
    from beepbrain.generate.batch import load_generator
    from beepbrain.train.registry import ModelNotFoundError

    try:
        return load_generator(model_uri, tracking_uri), None
    except ModelNotFoundError as exc:
        print(
            f"error: {exc} (train one first: `beepbrain run` does everything from the bundled sample)",
            file=sys.stderr,
        )
        return None, 2
    except Exception as exc:  # a store that answers badly, a damaged model: one line, not a traceback
        print(
            f"error: cannot load model {model_uri!r} from {tracking_uri}: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return None, 1
