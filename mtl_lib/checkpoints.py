"""Saving a trained model so that a new process can rebuild it and predict.

A run directory holds three files, and is written as a whole (into a temporary folder beside
it, then renamed), so an interrupted save leaves the old run or the new one, never a mix:

    model.pt     the weights (`state_dict`), loaded with `torch.load(weights_only=True)`
    run.json     the `ModelSpec` (architecture, encoder, label names), the training config,
                 and the SHA-256 of model.pt, checked on loading
    vocab.json   the vocabulary

`load_run(directory)` rebuilds the model from `run.json` and loads the weights;
nothing else is needed, not even the data. A model that was trained as an instance you built
(`run_experiment(data, model, vocab=vocab)`) is rebuilt by you: `load_run(directory, model=...)`.
"""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import torch

from mtl_lib.data import TextDataset, Vocab
from mtl_lib.errors import CheckpointError, ConfigError, UnknownTaskError
from mtl_lib.files import atomic_directory, sha256_of, unreplaceable
from mtl_lib.models.encoders import EncoderConfig
from mtl_lib.inference import forward_batches
from mtl_lib.models.multitask import MultiTaskModel, build_model

WEIGHTS, SPEC, VOCAB = "model.pt", "run.json", "vocab.json"


@dataclass
class ModelSpec:
    """Everything `build_model` needs, in a form that JSON can hold.

    >>> spec = ModelSpec("asp", {"Reuters": ["business", "health"]}, EncoderConfig(kind="cnn"))
    >>> model = spec.build(vocab_size=5000)
    """

    architecture: str  # a name of MODELS, or the class ("module.Class") of a model given as an instance
    label_names: dict[str, list[str]]  # an empty list: a regression task, one output
    encoder: EncoderConfig | None = field(default_factory=EncoderConfig)  # None: a model given as an instance
    options: dict = field(default_factory=dict)
    from_instance: bool = False  # built by the user, not from this spec: `load_run(..., model=...)` takes one

    def build(self, vocab_size: int) -> MultiTaskModel:
        num_labels = {task: len(labels) or 1 for task, labels in self.label_names.items()}
        return build_model(self.architecture, vocab_size, num_labels, self.encoder, **self.options)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, spec: dict) -> "ModelSpec":
        encoder = spec.get("encoder", {})
        return cls(spec["architecture"], {task: list(labels) for task, labels in spec["label_names"].items()},
                   None if encoder is None else EncoderConfig(**encoder), dict(spec.get("options", {})), bool(spec.get("from_instance", False)))


def check_model_fits(model: MultiTaskModel, label_names: dict[str, list[str]], vocab: Vocab | None,
                     encoder: EncoderConfig | None = None, options: dict | None = None) -> None:
    """Refuse, before any training or loading, a model instance built for other tasks or another vocabulary."""
    if vocab is None:
        raise ConfigError("a model given as an instance was built for a vocabulary: pass that vocabulary too, "
                          "run_experiment(data, model, vocab=vocab)")
    if encoder is not None or options:
        raise ConfigError("encoder and options build a model from its name; this model is built already: leave "
                          "them out (or pass the architecture's name instead of the model)")
    wanted = {task: len(labels) or 1 for task, labels in label_names.items()}
    if model.num_labels != wanted:
        raise ConfigError(f"the model was built for the tasks {model.num_labels} (task: number of labels), but the "
                          f"data has {wanted}: build it with num_labels={wanted}")
    embedding = getattr(model, "embedding", None)
    if isinstance(embedding, torch.nn.Embedding) and embedding.num_embeddings != len(vocab):
        raise ConfigError(f"the model's embedding has {embedding.num_embeddings} rows, but the vocabulary has "
                          f"{len(vocab)} tokens: build the model with vocab_size=len(vocab)")


def is_run_directory(directory: str | Path) -> bool:
    return (Path(directory) / SPEC).is_file()


def check_run_target(directory: str | Path) -> None:
    """Refuse, before any training, a `directory` that a run may not replace."""
    kind = unreplaceable(directory, is_run_directory)
    if kind:
        raise CheckpointError(f"{directory} is {kind}, not a run folder: save the run to a new or empty folder "
                              "(an existing run folder is replaced as a whole)")


def save_run(directory: str | Path, model: MultiTaskModel, spec: ModelSpec, vocab: Vocab,
             train_config: dict | None = None, files: dict[str, str] | None = None) -> Path:
    """Write the weights, the spec and the vocabulary of a trained model, and any other `files`
    ({name: text}), as the run folder `directory`, replacing a run folder that is there."""
    directory = Path(directory)
    check_run_target(directory)
    with atomic_directory(directory, replaceable=is_run_directory) as partial:
        torch.save({name: value.cpu() for name, value in model.state_dict().items()}, partial / WEIGHTS)
        record = {"spec": spec.to_dict(), "model_class": type(model).__name__,
                  "discriminator": model.discriminator is not None, "train_config": train_config or {},
                  "weights_sha256": sha256_of(partial / WEIGHTS)}
        (partial / SPEC).write_text(json.dumps(record, indent=2), encoding="utf-8")
        vocab.save(partial / VOCAB)
        for name, text in (files or {}).items():
            (partial / name).write_text(text, encoding="utf-8")
    return directory


@dataclass
class Run:
    """A trained model with what it needs to predict: its spec (label names), vocabulary and training config.

    What `load_run` loads from a run directory; `run_experiment` returns one too, still in
    memory (an `Experiment`, which adds the trainer and the scores), so predicting and
    explaining never need a save and a reload.
    """

    model: MultiTaskModel = field(repr=False)
    spec: ModelSpec
    vocab: Vocab = field(repr=False)
    train_config: dict = field(repr=False)
    directory: Path | None = None  # where it was loaded from or last saved to; None: only in memory

    def explain(self, task: str, text: str, label: str | None = None, steps: int = 32,
                max_length: int | None = None):
        """`mtl_lib.attributions.explain(self, ...)`: the text's words, shared and private."""
        from mtl_lib.attributions import explain  # attributions reads a Run: imported here, not above

        return explain(self, task, text, label, steps, max_length)

    def _outputs(self, tasks: list[str], texts: list[str], max_length: int | None) -> dict[str, torch.Tensor]:
        """Each task's head outputs (texts, outputs) for `texts`, in their order; the encoder runs once."""
        for task in tasks:
            if task not in self.spec.label_names:
                raise UnknownTaskError(f"{task!r} is not a task of this model; tasks are: "
                                       f"{', '.join(self.spec.label_names)}")
        max_length = max_length or self.train_config.get("max_length")
        encoded = TextDataset([self.vocab.encode(text, max_length) for text in texts], [0] * len(texts))
        chunks: dict[str, list[torch.Tensor]] = {task: [] for task in tasks}
        for _, _, outputs in forward_batches(self.model, encoded, tasks):
            for task, output in outputs.items():
                chunks[task].append(output.logits.float().cpu())
        return {task: torch.cat(parts) if parts else torch.zeros(0, len(self.spec.label_names[task]) or 1)
                for task, parts in chunks.items()}

    def is_regression(self, task: str) -> bool:
        return not self.spec.label_names[task]

    def predict(self, task: str, texts: list[str], max_length: int | None = None) -> pd.DataFrame:
        """The predicted label and the probability of every label, one row per text.

        For a regression task, the predicted number (column `value`).

        >>> run.predict("Reuters", ["Fed raises rates"]).label.tolist()
        ['business']
        """
        outputs = self._outputs([task], texts, max_length)[task]  # (texts, num_labels)
        if self.is_regression(task):
            return pd.DataFrame({"text": list(texts), "value": outputs[:, 0].tolist()})
        table = pd.DataFrame(outputs.softmax(dim=1).tolist(), columns=self.spec.label_names[task], dtype=float)
        table.insert(0, "label", table.idxmax(axis=1) if len(table) else [])
        table.insert(0, "text", list(texts))
        return table

    def predict_all(self, texts: list[str], max_length: int | None = None) -> pd.DataFrame:
        """Every head at once: one row per text, one column per task (its label, or its number).

        >>> run.predict_all(["Fed raises rates"])   # columns text, Reuters, ..., coverage
        """
        outputs = self._outputs(list(self.spec.label_names), texts, max_length)
        table = pd.DataFrame({"text": list(texts)})
        for task, logits in outputs.items():
            labels = self.spec.label_names[task]
            table[task] = logits[:, 0].tolist() if self.is_regression(task) else [
                labels[i] for i in logits.argmax(dim=1).tolist()]
        return table


def load_run(directory: str | Path, device: str | torch.device = "cpu", model: MultiTaskModel | None = None) -> Run:
    """Rebuild the model saved in `directory` and load its weights, in eval mode: ready to predict.

    `model`: load the weights into this model instead, built as the saved one was (needed for a
    run trained as an instance; `run_experiment(data, model, vocab=vocab)`).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise CheckpointError(f"{directory} is not a run directory: there is no such folder. "
                              "Train one with `python -m mtl_lib train ... --out DIR`")
    for name in (WEIGHTS, SPEC, VOCAB):
        if not (directory / name).is_file():
            raise CheckpointError(f"{directory} is not a run directory: it has no {name}. "
                                  "Train one with `python -m mtl_lib train ... --out DIR`")
    try:
        record = json.loads((directory / SPEC).read_text(encoding="utf-8"))
        spec = ModelSpec.from_dict(record["spec"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{directory / SPEC} is damaged or from another program: {exc}") from exc
    vocab = Vocab.load(directory / VOCAB)
    if model is not None:
        check_model_fits(model, spec.label_names, vocab)
    elif spec.from_instance:
        raise CheckpointError(f"{directory} holds a {record.get('model_class')} that was trained as an instance, not "
                              "built from a name: build one the same way and load the weights into it, "
                              f"load_run({str(directory)!r}, model=...)")
    else:
        model = spec.build(len(vocab))
    load_weights(model, directory)
    return Run(model.to(device).eval(), spec, vocab, record.get("train_config", {}), directory)


def load_weights(model: MultiTaskModel, directory: str | Path) -> None:
    """Load the weights saved in `directory` into `model`, which must be of the same architecture."""
    directory = Path(directory)
    record = json.loads((directory / SPEC).read_text(encoding="utf-8"))
    saved_class, saved_architecture = record["model_class"], record["spec"]["architecture"]
    saved_discriminator = record.get("discriminator", saved_architecture == "asp")
    if type(model).__name__ != saved_class or (model.discriminator is not None) != saved_discriminator:
        if record["spec"].get("from_instance"):
            saved = f"a {saved_class}{' with a discriminator' if saved_discriminator else ''}"
            rebuild = "build one as the saved one was built"
        else:
            saved = f"a {saved_architecture!r} model ({saved_class})"
            rebuild = f"rebuild it with load_run({str(directory)!r}), or build_model({saved_architecture!r}, ...)"
        raise CheckpointError(
            f"{directory} holds {saved}, but this model is a {type(model).__name__}"
            f"{' with a discriminator' if model.discriminator is not None else ''}: {rebuild}")
    if record.get("weights_sha256", sha256_of(directory / WEIGHTS)) != sha256_of(directory / WEIGHTS):
        raise CheckpointError(f"{directory / WEIGHTS} is not the file {SPEC} was saved with (damaged, or copied "
                              "from another run): copy the run folder again as a whole, or train it again")
    try:
        state = torch.load(directory / WEIGHTS, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several kinds, each with advice that does not apply here
        raise CheckpointError(f"{directory / WEIGHTS} is damaged or not a mtl_lib checkpoint "
                              f"({type(exc).__name__}): copy the run folder again, or train it again") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(f"the weights in {directory} do not fit this model (other tasks, "
                              f"vocabulary or encoder sizes?): {str(exc).splitlines()[0]}") from exc
