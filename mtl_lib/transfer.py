"""Transfer to a new task: the shared layer of a multi-task model, frozen, reused for a task it never saw.

Liu, Qiu & Huang (2017, section 5.5) train a shared layer on several tasks, freeze it,
and learn a new task on top of it in two ways. Beside them, the model that learns the
new task from scratch is the baseline:

| method             | from the source model            | learned on the new task                                    |
| ------------------ | -------------------------------- | ---------------------------------------------------------- |
| "scratch"          | nothing                          | everything: `build_model("single", ...)`                   |
| "single_channel"   | shared embedding + encoder       | a linear head                                              |
| "bi_channel"       | shared embedding + encoder       | a private embedding and encoder, a head on both views      |

Frozen means frozen: the shared channel's parameters have `requires_grad=False`, and it
stays in eval mode even while the new parts train, so its dropout is off and a text gets
the same shared features in training as in testing: a fixed feature extractor.

The new task keeps the source's vocabulary, since the shared embedding has one row per
word of it: words the source never saw become <unk> (`token_coverage` counts how many).

>>> model = transfer_model(source, {"BBC": 5}, "bi_channel", EncoderConfig(kind="bow"))
>>> config = TrainConfig()
>>> Trainer(model, config.prepare(bbc, vocab), config).fit()   # trains the new parts only
"""

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import pandas as pd
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from mtl_lib.config import seed_everything
from mtl_lib.data import MultiTaskData, Vocab, tokenize
from mtl_lib.errors import ConfigError
from mtl_lib.models.encoders import EncoderConfig, build_encoder, make_embedding
from mtl_lib.models.multitask import ModelOutput, MultiTaskModel, PerTask, build_model
from mtl_lib.training import Trainer, TrainConfig

TRANSFER_METHODS = ("single_channel", "bi_channel")
METHODS = ("scratch", *TRANSFER_METHODS)


class FrozenChannel(nn.Module):
    """A copy of a trained embedding and encoder that never learns: tokens in, shared features out.

    A copy, so that freezing it leaves the source model as it was. `train()` cannot switch
    it out of eval mode: its dropout stays off while the modules around it train.
    """

    def __init__(self, embedding: nn.Embedding, encoder: nn.Module):
        super().__init__()
        self.embedding = copy.deepcopy(embedding)
        self.encoder = copy.deepcopy(encoder)
        self.requires_grad_(False)
        self.output_dim: int = self.encoder.output_dim
        self.vocab_size: int = self.embedding.num_embeddings
        self.eval()

    def train(self, mode: bool = True) -> "FrozenChannel":
        return super().train(False)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        embedded = self.embedding(tokens)  # (batch, seq, emb)
        return self.encoder(embedded, lengths)  # (batch, shared_dim)


def frozen_shared_channel(source: MultiTaskModel) -> FrozenChannel:
    """The source's shared embedding and encoder, copied and frozen; a clear error if it has none."""
    parts = source.shared_channel()
    if parts is None:
        raise ConfigError(
            f"a {type(source).__name__} model shares no encoder, so it has no shared layer to transfer; "
            "train the source as 'hard', 'sp' or 'asp'")
    return FrozenChannel(*parts)


class SingleChannel(MultiTaskModel):
    """New tasks read through the frozen shared channel alone, each with a new linear head."""

    def __init__(self, shared: FrozenChannel, num_labels: Mapping[str, int]):
        super().__init__(num_labels)
        self.shared = shared
        self.heads = self._make_heads(shared.output_dim)

    def forward_tasks(self, tokens: Tensor, lengths: Tensor, tasks: list[str]) -> dict[str, ModelOutput]:
        self._check_tasks(tasks)
        shared_features = self.shared(tokens, lengths)  # (batch, shared_dim)
        return {task: ModelOutput(logits=self.heads[task](shared_features), shared_features=shared_features)
                for task in tasks}

    def shared_parameters(self) -> list[nn.Parameter]:
        return []  # the one part every task reads is frozen: nothing shared learns


class BiChannel(MultiTaskModel):
    """The frozen shared channel beside a new private channel per task, as in SP-MTL.

    The private channel is an embedding and an encoder of its own (a bag of embeddings has
    no weights but its embedding), so it can learn what the shared features miss; the head
    reads concat(shared, private).
    """

    def __init__(self, shared: FrozenChannel, num_labels: Mapping[str, int], encoder: EncoderConfig):
        super().__init__(num_labels)
        self.shared = shared
        self.private_embeddings = PerTask(
            {task: make_embedding(shared.vocab_size, encoder.embedding_dim) for task in num_labels})
        self.private_encoders = PerTask({task: build_encoder(encoder) for task in num_labels})
        private_dim = self.private_encoders[self.task_names[0]].output_dim
        self.heads = self._make_heads(shared.output_dim + private_dim)

    def forward_tasks(self, tokens: Tensor, lengths: Tensor, tasks: list[str]) -> dict[str, ModelOutput]:
        self._check_tasks(tasks)
        shared_features = self.shared(tokens, lengths)  # (batch, shared_dim)
        outputs = {}
        for task in tasks:
            embedded = self.private_embeddings[task](tokens)  # (batch, seq, emb)
            private_features = self.private_encoders[task](embedded, lengths)  # (batch, private_dim)
            both_views = torch.cat([shared_features, private_features], dim=1)  # (batch, shared + private dim)
            outputs[task] = ModelOutput(logits=self.heads[task](both_views), shared_features=shared_features,
                                        private_features=private_features)
        return outputs

    def shared_parameters(self) -> list[nn.Parameter]:
        return []


def transfer_model(source: MultiTaskModel, num_labels: Mapping[str, int], method: str = "single_channel",
                   encoder: EncoderConfig | None = None) -> MultiTaskModel:
    """A model for new tasks (`{task: number of labels}`) on the frozen shared layer of `source`.

    `method` is "single_channel" or "bi_channel"; the bi-channel model needs `encoder`, the
    `EncoderConfig` of its new private encoder (usually the source's). The source must have
    a shared encoder ("hard", "sp" or "asp"); it is copied, never changed.
    """
    if method not in TRANSFER_METHODS:
        raise ConfigError(f"unknown transfer method {method!r}; methods are: {', '.join(TRANSFER_METHODS)} "
                          "(for a model from scratch use build_model('single', ...))")
    shared = frozen_shared_channel(source)
    if method == "single_channel":
        return SingleChannel(shared, num_labels)
    if encoder is None:
        raise ConfigError("the bi-channel model needs encoder=, the EncoderConfig of its new private encoder "
                          "(usually the one the source was built with)")
    return BiChannel(shared, num_labels, encoder)


def token_coverage(data: MultiTaskData, vocab: Vocab, split: str = "train", max_length: int | None = None) -> float:
    """The share of the running tokens of `data`'s texts in `split` that `vocab` knows (not <unk>).

    With `max_length`, only each text's first `max_length` tokens count: those a model reads.
    `token_coverage(bbc, news_vocab)` says how much of a BBC article a news model can see.
    """
    known = total = 0
    for task in data.task_names:
        for text in data.texts(task, split):
            tokens = tokenize(text)[:max_length]
            known += sum(token in vocab for token in tokens)
            total += len(tokens)
    return known / total if total else math.nan


def data_efficiency(sources: Mapping[str, MultiTaskModel], target: MultiTaskData, vocab: Vocab,
                    encoder: EncoderConfig, fractions: Sequence[float], seeds: Sequence[int],
                    config: TrainConfig | None = None, min_steps: int = 0) -> pd.DataFrame:
    """Test scores on `target` of every method, for each fraction of its training data and each seed.

    For each (fraction, seed) the same subsample of the target's training data (drawn with
    that seed; dev and test stay whole) trains a model from scratch, and a single-channel and
    a bi-channel model on each source's frozen shared layer: paired runs, so the methods can
    be compared seed by seed. A small subsample gets more epochs, so that every run takes
    at least `min_steps` optimiser steps; early stopping follows `config.patience`.

    Returns long rows: source ("none" for scratch), method, fraction, seed, train_examples,
    accuracy, macro_f1 (test, averaged over the target's tasks).

    >>> table = data_efficiency({"asp": asp.model}, bbc, asp.vocab, EncoderConfig(kind="bow"),
    ...                         fractions=[0.1, 1.0], seeds=[0, 1, 2])
    """
    config = config or TrainConfig()
    num_labels = {name: task.num_labels for name, task in target.tasks.items()}
    for name, source in sources.items():
        rows_of_embedding = frozen_shared_channel(source).vocab_size
        if rows_of_embedding != len(vocab):
            raise ConfigError(f"source {name!r} has an embedding of {rows_of_embedding} words but the vocabulary "
                              f"has {len(vocab)}; pass the vocabulary the source was trained with")
    runs = [("none", "scratch")] + [(name, method) for name in sources for method in TRANSFER_METHODS]
    rows = []
    with tqdm(total=len(fractions) * len(seeds) * len(runs), desc="target runs", disable=not config.progress) as bar:
        for fraction in fractions:
            for seed in seeds:
                data = target.sample(train_fraction=fraction, seed=seed)
                train_examples = int((data.frame.split == "train").sum())
                batches = sum(math.ceil(len(data.examples(task, "train")) / config.batch_size)
                              for task in data.task_names)
                run_config = replace(config, seed=seed, progress=False,
                                     epochs=max(config.epochs, math.ceil(min_steps / batches)))
                for source_name, method in runs:
                    seed_everything(seed)  # the new parts start from the same draw in every run of this seed
                    model = (build_model("single", len(vocab), num_labels, encoder) if method == "scratch"
                             else transfer_model(sources[source_name], num_labels, method, encoder))
                    trainer = Trainer(model, run_config.prepare(data, vocab), run_config)
                    trainer.fit()
                    rows.append({"source": source_name, "method": method, "fraction": fraction, "seed": seed,
                                 "train_examples": train_examples, **trainer.evaluate("test")["average"]})
                    bar.update()
    return pd.DataFrame(rows)


__all__ = ["METHODS", "TRANSFER_METHODS", "BiChannel", "FrozenChannel", "SingleChannel", "data_efficiency",
           "frozen_shared_channel", "token_coverage", "transfer_model"]
