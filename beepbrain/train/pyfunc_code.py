"""The file MLflow stores as a BeepBrain model's code (models from code): it names the pyfunc wrapper.

`beepbrain.train.registry.log_model` passes this file's path as ``python_model``; MLflow copies it into the
logged model and runs it at load time, where ``set_model`` hands MLflow a fresh `BeepBrainModel`.
"""

from mlflow.models import set_model

from beepbrain.train.pyfunc import BeepBrainModel

set_model(BeepBrainModel())
