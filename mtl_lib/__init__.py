"""mtl_lib: multi-task learning in PyTorch, the library behind the course.

>>> from mtl_lib import MultiTaskData, EncoderConfig, TrainConfig, run_experiment
>>> news = MultiTaskData.load("news")
>>> result = run_experiment(news, "hard", EncoderConfig(kind="lstm"), TrainConfig(epochs=3))
"""

from mtl_lib.checkpoints import ModelSpec, load_run, save_run
from mtl_lib.data import MultiTaskData, Vocab
from mtl_lib.experiment import Experiment, build_vocab, run_experiment
from mtl_lib.losses import difference_loss, make_weighting
from mtl_lib.models import EncoderConfig, build_model, grad_reverse
from mtl_lib.training import Trainer, TrainConfig

__all__ = [
    "EncoderConfig", "Experiment", "ModelSpec", "MultiTaskData", "TrainConfig", "Trainer", "Vocab", "build_model",
    "build_vocab", "difference_loss", "grad_reverse", "load_run", "make_weighting", "run_experiment", "save_run",
]
