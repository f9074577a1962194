"""The MLflow pyfunc wrapper of a BeepBrain model, logged as code (MLflow's "models from code").

MLflow stores this class's source (``pyfunc_code.py``) with the model instead of a CloudPickle of an
instance, so loading a registered model unpickles nothing: the wrapper rebuilds the `GPT` from the plain
artifact files (``weights.pt`` read with ``weights_only=True``, ``model_config.json``, ``tokenizer.json``).
"""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc
import torch


class BeepBrainModel(mlflow.pyfunc.PythonModel):
    """pyfunc wrapper: `predict({"tokens": [[...]], "cond": [[21 floats]]})` gives next-token logits."""

    # predict takes a plain dict of lists, which MLflow's type-hint validation cannot describe; opting out
    # also keeps MLflow from warning about the missing hints on every import
    _skip_type_hint_validation = True

    def load_context(self, context):
        from beepbrain.tokens.load import load_tokenizer
        from beepbrain.train.registry import build_model

        files = Path(context.artifacts["weights"]).parent
        self.model, _ = build_model(files)
        self.tokenizer = load_tokenizer(files) if (files / "tokenizer.json").exists() else None

    def predict(self, context, model_input, params=None):
        tokens = torch.as_tensor(model_input["tokens"], dtype=torch.long)
        cond = torch.as_tensor(model_input["cond"], dtype=torch.float32)
        with torch.no_grad():
            logits, _ = self.model(tokens[:, -self.model.config.block_size :], cond)
        return logits[:, -1].numpy()
