"""Multi-task architectures, from sharing nothing to adversarial shared-private.

Each architecture is a composition of parts: an embedding table (`make_embedding`),
one or more encoders (`build_encoder`), one linear head per task (`heads`, tasks may
have different numbers of labels; a regression task's head has one output) and, for
ASP-MTL, a `TaskDiscriminator`. They all answer `model(tokens, lengths, task)` with the
same `ModelOutput`, so the trainer and the analysis never need to ask which
architecture they hold; `model.forward_tasks(tokens, lengths, tasks)` answers for several
tasks at once and runs what the tasks share (the embedding, a shared encoder) only once.

| name     | shares                                   | Liu et al. (2017)  |
| -------- | ---------------------------------------- | ------------------ |
| "single" | nothing: one model per task              | single task        |
| "hard"   | embedding and encoder                    | FS-MTL             |
| "soft"   | embedding; encoders pulled together (L2) |                    |
| "sp"     | embedding and a shared encoder           | SP-MTL             |
| "asp"    | "sp" plus a task discriminator           | ASP-MTL            |

`MODELS` is the registry of architectures by name (`mtl_lib.registry`): a builder takes
`(vocab_size, num_labels, encoder, **options)` and returns a `MultiTaskModel`, so a class
of your own joins with `@MODELS.register("name")` over a `MultiTaskModel` subclass whose
`__init__` takes those.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mtl_lib.errors import ConfigError, UnknownTaskError
from mtl_lib.models.encoders import EncoderConfig, build_encoder, make_embedding
from mtl_lib.models.layers import TaskDiscriminator
from mtl_lib.registry import Registry


@dataclass
class ModelOutput:
    """What every architecture returns for a batch of texts from one task."""

    logits: Tensor  # (batch, num_labels of the task)
    shared_features: Tensor | None = None  # (batch, shared_dim), architectures with a shared encoder
    private_features: Tensor | None = None  # (batch, private_dim), architectures with task-private encoders
    task_logits: Tensor | None = None  # (batch, num_tasks), the discriminator's guess (ASP only)

    def rows(self, keep: Tensor) -> "ModelOutput":
        """The same output for the rows of the batch that `keep` (a boolean mask, or indices) selects."""
        return ModelOutput(*(None if value is None else value[keep]
                             for value in (self.logits, self.shared_features, self.private_features,
                                           self.task_logits)))


class PerTask(nn.ModuleDict):
    """One module per task, looked up by task name: `heads["Contactmusic.com"]`.

    PyTorch's module names cannot hold a '.', so each task's module is stored under
    its name with '.' replaced by '_' (state_dict keys such as `heads.Contactmusic_com.weight`).
    """

    def __init__(self, modules: Mapping[str, nn.Module]):
        keys = {task: self.key(task) for task in modules}
        if len(set(keys.values())) < len(keys):
            raise ConfigError(f"task names {', '.join(map(repr, modules))} clash once '.' becomes '_'; rename one")
        super().__init__({keys[task]: module for task, module in modules.items()})

    @staticmethod
    def key(task: str) -> str:
        return task.replace(".", "_")

    def __getitem__(self, task: str) -> nn.Module:
        return super().__getitem__(self.key(task))


class MultiTaskModel(nn.Module, ABC):
    """The interface the trainer and the analysis rely on; every architecture extends it.

    `task_names` fixes the order of the tasks: task `task_names[i]` has index i, which is
    the class the discriminator must predict for that task's texts.
    """

    def __init__(self, num_labels: Mapping[str, int]):
        super().__init__()
        if not num_labels:
            raise ConfigError("num_labels is empty; give the number of labels of each task, {task: count}")
        for task, count in num_labels.items():
            if not isinstance(task, str) or not task:
                raise ConfigError(f"task names must be non-empty strings; got {task!r}")
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise ConfigError(f"num_labels[{task!r}] must be a positive integer; got {count!r}")
        self.task_names: list[str] = list(num_labels)
        self.num_labels: dict[str, int] = dict(num_labels)
        self.discriminator: TaskDiscriminator | None = None

    def forward(self, tokens: Tensor, lengths: Tensor, task: str) -> ModelOutput:
        """Encode `tokens` (batch, seq), texts of `task`, and classify them with its head."""
        return self.forward_tasks(tokens, lengths, [task])[task]

    @abstractmethod
    def forward_tasks(self, tokens: Tensor, lengths: Tensor, tasks: list[str]) -> dict[str, ModelOutput]:
        """Every head of `tasks` on the same texts; what the tasks share is computed once."""

    def _check_tasks(self, tasks: list[str]) -> None:
        for task in tasks:
            self.task_index(task)  # an unknown task fails here, naming the known ones

    def penalty(self) -> Tensor:
        """A regulariser to add to the loss; zero unless the architecture defines one."""
        return torch.zeros((), device=next(self.parameters()).device)

    def task_index(self, task: str) -> int:
        """The position of `task` in `task_names`; UnknownTaskError for any other name."""
        if task not in self.num_labels:
            raise UnknownTaskError(
                f"{task!r} is not a task of this model; tasks are: {', '.join(self.task_names)}"
            )
        return self.task_names.index(task)

    @abstractmethod
    def shared_parameters(self) -> list[nn.Parameter]:
        """The parameters that more than one task uses (what gradient methods such as PCGrad act on)."""

    def shared_channel(self) -> tuple[nn.Embedding, nn.Module] | None:
        """The embedding and the encoder that every task reads, or None if no encoder is shared.

        What transfer to a new task reuses (`mtl_lib.transfer`): HardSharing's `embedding` and
        `encoder`, SharedPrivate's `embedding` and `shared_encoder`.
        """
        return None

    def _make_heads(self, input_dim: int) -> PerTask:
        """One linear classifier per task, each with its own number of labels."""
        return PerTask({task: nn.Linear(input_dim, count) for task, count in self.num_labels.items()})


MODELS = Registry("model", MultiTaskModel, "mtl_lib.models.MODELS")


@MODELS.register("single")
class SingleTask(MultiTaskModel):
    """One fully separate model per task (own embedding, encoder and head): the baseline.

    The tasks train side by side in one trainer but share nothing, so any gain of the
    other architectures over this one is the gain of sharing.
    """

    def __init__(
        self, vocab_size: int, num_labels: Mapping[str, int], encoder: EncoderConfig = EncoderConfig()
    ):
        super().__init__(num_labels)
        self.embeddings = PerTask(
            {task: make_embedding(vocab_size, encoder.embedding_dim) for task in num_labels}
        )
        self.encoders = PerTask({task: build_encoder(encoder) for task in num_labels})
        self.heads = self._make_heads(self.encoders[self.task_names[0]].output_dim)

    def forward_tasks(self, tokens: Tensor, lengths: Tensor, tasks: list[str]) -> dict[str, ModelOutput]:
        self._check_tasks(tasks)
        outputs = {}
        for task in tasks:  # nothing is shared: each task runs its own model
            embedded = self.embeddings[task](tokens)  # (batch, seq, emb)
            private_features = self.encoders[task](embedded, lengths)  # (batch, private_dim)
            outputs[task] = ModelOutput(logits=self.heads[task](private_features), private_features=private_features)
        return outputs

    def shared_parameters(self) -> list[nn.Parameter]:
        return []


@MODELS.register("hard")
class HardSharing(MultiTaskModel):
    """One embedding and one encoder for all tasks, one head per task (Caruana 1997)."""

    def __init__(
        self, vocab_size: int, num_labels: Mapping[str, int], encoder: EncoderConfig = EncoderConfig()
    ):
        super().__init__(num_labels)
        self.embedding = make_embedding(vocab_size, encoder.embedding_dim)
        self.encoder = build_encoder(encoder)
        self.heads = self._make_heads(self.encoder.output_dim)

    def forward_tasks(self, tokens: Tensor, lengths: Tensor, tasks: list[str]) -> dict[str, ModelOutput]:
        self._check_tasks(tasks)
        embedded = self.embedding(tokens)  # (batch, seq, emb)
        shared_features = self.encoder(embedded, lengths)  # (batch, shared_dim), once for every task
        return {task: ModelOutput(logits=self.heads[task](shared_features), shared_features=shared_features)
                for task in tasks}

    def shared_parameters(self) -> list[nn.Parameter]:
        return [*self.embedding.parameters(), *self.encoder.parameters()]

    def shared_channel(self) -> tuple[nn.Embedding, nn.Module]:
        return self.embedding, self.encoder


@MODELS.register("soft")
class SoftSharing(MultiTaskModel):
    """A shared embedding and one encoder per task, the encoders pulled towards each other.

    Soft sharing (Duong et al. 2015; Ruder 2017) lets each task keep its own encoder but
    penalises how far the encoders drift apart: `penalty()` is `soft_weight` times the sum,
    over tasks, of the squared L2 distance between the task's encoder weights and the mean
    of all tasks' encoder weights. (With the bag-of-embeddings encoder, which has no
    weights, there is nothing to pull: it is hard sharing.)
    """

    def __init__(
        self,
        vocab_size: int,
        num_labels: Mapping[str, int],
        encoder: EncoderConfig = EncoderConfig(),
        soft_weight: float = 1e-3,
    ):
        super().__init__(num_labels)
        if not soft_weight >= 0:
            raise ConfigError(f"soft_weight must be >= 0 (0 turns the pull off); got {soft_weight!r}")
        self.soft_weight = soft_weight
        self.embedding = make_embedding(vocab_size, encoder.embedding_dim)
        self.encoders = PerTask({task: build_encoder(encoder) for task in num_labels})
        self.heads = self._make_heads(self.encoders[self.task_names[0]].output_dim)

    def forward_tasks(self, tokens: Tensor, lengths: Tensor, tasks: list[str]) -> dict[str, ModelOutput]:
        self._check_tasks(tasks)
        embedded = self.embedding(tokens)  # (batch, seq, emb), once for every task
        outputs = {}
        for task in tasks:
            private_features = self.encoders[task](embedded, lengths)  # (batch, private_dim)
            outputs[task] = ModelOutput(logits=self.heads[task](private_features), private_features=private_features)
        return outputs

    def penalty(self) -> Tensor:
        total = torch.zeros((), device=self.embedding.weight.device)
        per_task = [list(encoder.parameters()) for encoder in self.encoders.values()]
        for same_weight in zip(*per_task):  # one weight tensor, as each task's encoder has it
            stacked = torch.stack(same_weight)  # (num_tasks, *weight_shape)
            total = total + (stacked - stacked.mean(dim=0)).pow(2).sum()
        return self.soft_weight * total

    def shared_parameters(self) -> list[nn.Parameter]:
        return list(self.embedding.parameters())


@MODELS.register("sp")
class SharedPrivate(MultiTaskModel):
    """SP-MTL (Liu et al. 2017): a shared encoder beside a private encoder per task.

    Each task's head reads both views of the text, concat(shared, private). Given a
    `TaskDiscriminator` on the shared features it is ASP-MTL: the discriminator tries to
    tell the task from the shared features, and through gradient reversal the shared
    encoder learns to keep task-specific information out of them.
    """

    def __init__(
        self,
        vocab_size: int,
        num_labels: Mapping[str, int],
        encoder: EncoderConfig = EncoderConfig(),
        discriminator: TaskDiscriminator | None = None,
    ):
        super().__init__(num_labels)
        self.embedding = make_embedding(vocab_size, encoder.embedding_dim)
        self.shared_encoder = build_encoder(encoder)
        self.private_encoders = PerTask({task: build_encoder(encoder) for task in num_labels})
        shared_dim = self.shared_encoder.output_dim
        private_dim = self.private_encoders[self.task_names[0]].output_dim
        self.heads = self._make_heads(shared_dim + private_dim)
        if discriminator is not None and discriminator.input_dim != shared_dim:
            raise ConfigError(
                f"the discriminator reads {discriminator.input_dim} features but the shared encoder gives "
                f"{shared_dim}; build it as TaskDiscriminator({shared_dim}, {len(self.task_names)})"
            )
        if discriminator is not None and discriminator.num_tasks != len(self.task_names):
            raise ConfigError(
                f"the discriminator tells {discriminator.num_tasks} tasks apart but the model has "
                f"{len(self.task_names)}; build it as TaskDiscriminator({shared_dim}, {len(self.task_names)})"
            )
        self.discriminator = discriminator

    def forward_tasks(self, tokens: Tensor, lengths: Tensor, tasks: list[str]) -> dict[str, ModelOutput]:
        self._check_tasks(tasks)
        embedded = self.embedding(tokens)  # (batch, seq, emb)
        shared_features = self.shared_encoder(embedded, lengths)  # (batch, shared_dim), once for every task
        outputs = {}
        for task in tasks:
            private_features = self.private_encoders[task](embedded, lengths)  # (batch, private_dim)
            both_views = torch.cat([shared_features, private_features], dim=1)  # (batch, shared + private dim)
            outputs[task] = ModelOutput(logits=self.heads[task](both_views), shared_features=shared_features,
                                        private_features=private_features)
        if self.discriminator is not None:  # last: the order of dropout draws that the stored runs were made with
            task_logits = self.discriminator(shared_features)  # (batch, num_tasks)
            for output in outputs.values():
                output.task_logits = task_logits
        return outputs

    def shared_parameters(self) -> list[nn.Parameter]:
        # The embedding and the shared encoder, which every task's loss reaches. Not the discriminator:
        # it is trained by the adversarial loss alone, never by a task loss, so no task gradient to project.
        return [*self.embedding.parameters(), *self.shared_encoder.parameters()]

    def shared_channel(self) -> tuple[nn.Embedding, nn.Module]:
        return self.embedding, self.shared_encoder


@MODELS.register("asp")
def adversarial_shared_private(vocab_size: int, num_labels: Mapping[str, int], encoder: EncoderConfig = EncoderConfig(),
                               **options) -> SharedPrivate:
    """ASP-MTL: SP-MTL plus a `TaskDiscriminator` on the shared features (`options` go to the discriminator)."""
    model = SharedPrivate(vocab_size, num_labels, encoder)
    model.discriminator = TaskDiscriminator(model.shared_encoder.output_dim, len(model.task_names), **options)
    return model


def build_model(
    name: str,
    vocab_size: int,
    num_labels: Mapping[str, int],
    encoder: EncoderConfig = EncoderConfig(),
    **options,
) -> MultiTaskModel:
    """The architecture registered as `name` (one of MODELS, yours too), for tasks with `num_labels` labels each.

    `options` go to the architecture: `soft_weight` for "soft"; `hidden_dim` and `dropout`
    of the `TaskDiscriminator` for "asp".

    >>> model = build_model("asp", vocab_size=5000, num_labels={"Reuters": 4, "Daily Mail": 5})
    """
    return MODELS.build(name, vocab_size, num_labels, encoder, **options)
