"""Training the BeepBrain transformer: the loop, checkpoints, MLflow tracking and the model registry.

`train(TrainConfig(...))` runs a training; `registry.load_model()` loads a registered model back.
"""

from beepbrain.train.config import TrainConfig

__all__ = ["TrainConfig", "train"]


def train(config: TrainConfig, **kwargs):
    """Run (or resume) a training; see `beepbrain.train.loop.train`."""
    from beepbrain.train.loop import train as _train

    return _train(config, **kwargs)
