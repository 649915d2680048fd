"""One `Trainer` for every architecture, from single-task models to ASP-MTL.

A training step draws a task (or several, `tasks_per_step`) from the task sampler,
takes a batch of each, and optimises

    loss = weighting(task losses) + adversarial loss + gamma * difference loss + penalty

where the adversarial and difference terms exist only for models that produce
them (ASP-MTL's discriminator; shared and private features), and the penalty is
the model's own regulariser (soft sharing). With `unlabeled=True` the adversarial
loss also reads a batch of the task's unlabeled texts each step (FDU-MTL ships them):
the discriminator needs a text's task, not its label. The reversed gradient that reaches
the shared encoder is scaled by lambda (`adversarial_weight`, optionally grown by
Ganin's schedule); the discriminator itself always learns at full strength. A model with
a discriminator draws several tasks per step by default: with one task per step every
batch it sees has one constant answer, and its accuracy swings between all and nothing.

With `batching="text"`, a step instead reads a batch of texts with every label they
carry (one text, several tasks): the shared encoder runs once per text, each head that
has a label in the batch adds its loss, and a missing label is masked, not guessed. A
regression task's loss is the mean squared error.

Model selection and early stopping look at the dev average only (of accuracy, or of macro-F1
with `select_on="macro_f1"`, or of R^2 where no task classifies); the test split is touched
by `evaluate("test")` alone. A task with training rows only (an auxiliary task) is trained
on and never selected on.

The trainer trains: it reads the datasets the data layer prepared (`TrainConfig.prepare`,
`mtl_lib.data.prepared`), and scores with the free functions of `mtl_lib.evaluation`.

Under torchrun, several processes train one model together with DistributedDataParallel,
each on its shard of the training texts (`mtl_lib.distributed`).
"""

import copy
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from mtl_lib.config import get_device, usable_device
from mtl_lib.data import (Batch, LabelsBatch, MultiTaskBatches, MultiTaskData, Vocab, has_label, labeled_texts_loader,
                          make_sampler, task_loader)
from mtl_lib.data.batching import SAMPLERS, Passes
from mtl_lib.data.prepared import TrainingData, prepare
from mtl_lib.distributed import rank, shard, world_size
from mtl_lib.errors import ConfigError, DataError, UnknownTaskError
from mtl_lib.evaluation import evaluate
from mtl_lib.inference import autocast
from mtl_lib.losses import WEIGHTINGS, LossWeighting, discriminator_accuracy, make_weighting
from mtl_lib.metrics import METRICS
from mtl_lib.models.layers import ganin_lambda
from mtl_lib.models.multitask import MultiTaskModel
from mtl_lib.step_terms import Forwarded, StepTerm, default_terms
from mtl_lib.training_state import FitProgress, resume, save_state

SCHEDULES = ("constant", "ganin")
BATCHINGS = ("task", "text")  # a batch of one task's examples, or of texts with every label they carry
DISCRIMINATOR_TASKS_PER_STEP = 4  # the default tasks_per_step of a model with a task discriminator


@dataclass
class TrainConfig:
    """How to train: defaults that run on a laptop CPU in about a minute for the news data."""

    epochs: int = 6
    batch_size: int = 32
    learning_rate: float = 3e-3
    weight_decay: float = 0.0
    max_length: int | None = 64  # tokens per text; longer texts are cut
    batching: str = "task"  # "text": batches of texts with all their tasks' labels (one text, several labels)
    sampler: str = "proportional"  # which task each step learns from, see mtl_lib.data.batching
    temperature: float = 2.0  # for sampler="temperature"
    tasks_per_step: int | None = None  # batches (one per drawn task) per optimiser step; None: 1, or
    # DISCRIMINATOR_TASKS_PER_STEP for a model with a task discriminator
    weighting: str | LossWeighting = "equal"  # how task losses combine, see mtl_lib.losses; an instance of
    # your own too (each Trainer trains a copy, so one config serves several seeds)
    task_weights: dict[str, float] | None = None  # weighting="fixed": {task: weight}, e.g. an auxiliary task's 0.1
    adversarial_weight: float = 0.05  # lambda: scale of the reversed gradient into the shared encoder
    adversarial_schedule: str = "constant"  # or "ganin": lambda * (2 / (1 + exp(-10 p)) - 1)
    difference_weight: float = 0.0  # gamma: weight of the difference (orthogonality) loss
    unlabeled: bool = False  # ASP: the discriminator also reads a batch of the task's unlabeled texts each step
    patience: int | None = None  # stop after this many epochs without a better dev average
    select_on: str = "accuracy"  # the dev average that picks the best epoch: "accuracy", or "macro_f1" for skewed tasks
    grad_clip: float | None = 5.0  # max gradient norm, None for no clipping
    seed: int = 0
    device: str | None = None  # None: CUDA, then MPS, then CPU
    mixed_precision: bool = False  # bfloat16 autocast, on CUDA only
    progress: bool = True  # tqdm progress bars

    def __post_init__(self):
        positive = {"epochs": self.epochs, "batch_size": self.batch_size}
        if self.tasks_per_step is not None:
            positive["tasks_per_step"] = self.tasks_per_step
        for name, value in positive.items():
            if not (isinstance(value, int) and value >= 1):
                raise ConfigError(f"TrainConfig.{name} must be an integer >= 1; got {value!r}")
        if not self.learning_rate > 0:
            raise ConfigError(f"TrainConfig.learning_rate must be > 0; got {self.learning_rate!r}")
        if self.max_length is not None and self.max_length < 1:
            raise ConfigError(f"TrainConfig.max_length must be >= 1 or None; got {self.max_length!r}")
        if self.patience is not None and self.patience < 1:
            raise ConfigError(f"TrainConfig.patience must be >= 1 or None; got {self.patience!r}")
        if not isinstance(self.weighting, LossWeighting):
            WEIGHTINGS.check(self.weighting)
        for name, value, allowed in (("sampler", self.sampler, SAMPLERS),
                                     ("adversarial_schedule", self.adversarial_schedule, SCHEDULES),
                                     ("batching", self.batching, BATCHINGS),
                                     ("select_on", self.select_on, METRICS)):
            if value not in allowed:
                raise ConfigError(f"TrainConfig.{name} is {value!r}; choose one of: {', '.join(allowed)}")
        if (self.weighting == "fixed") != (self.task_weights is not None):
            raise ConfigError('TrainConfig.task_weights={task: weight} goes with weighting="fixed", and only with it; '
                              f"got weighting={self.weighting!r} and task_weights={self.task_weights!r}")
        if self.batching == "text" and self.tasks_per_step is not None:
            raise ConfigError("TrainConfig.tasks_per_step draws tasks for a step, but batching='text' reads batches of "
                              "texts with all their tasks' labels: leave tasks_per_step unset, or use batching='task'")
        if self.device is not None:
            usable_device(self.device)
        if self.adversarial_weight < 0 or self.difference_weight < 0:
            raise ConfigError("TrainConfig.adversarial_weight and difference_weight must be >= 0")

    @classmethod
    def for_model(cls, model: str, **overrides) -> "TrainConfig":
        """The recipe of Liu et al. (2017) for an architecture: ASP-MTL adds the difference loss.

        `TrainConfig.for_model("asp", epochs=3)`; other architectures get the defaults.
        """
        recipe = {"asp": {"difference_weight": 1.0}}.get(model, {})
        return cls(**(recipe | overrides))

    def to_dict(self) -> dict:
        """The settings as JSON holds them: a weighting instance as the name of its class (`Registry.name_of`)."""
        if isinstance(self.weighting, LossWeighting):
            return asdict(replace(self, weighting="equal")) | {"weighting": WEIGHTINGS.name_of(self.weighting)}
        return asdict(self)

    @property
    def evaluation_batch_size(self) -> int:
        """Texts per batch when scoring: four training batches (no gradients are kept)."""
        return 4 * self.batch_size

    def prepare(self, data: MultiTaskData, vocab: Vocab) -> TrainingData:
        """`data` encoded as this configuration trains on it (`mtl_lib.data.prepared.prepare`).

        >>> Trainer(model, config.prepare(news, vocab), config).fit()
        """
        return prepare(data, vocab, self.max_length, by_text=self.batching == "text", unlabeled=self.unlabeled)


@dataclass
class StepResult:
    """The loss terms of one optimiser step, for the step log."""

    task: str
    loss: float
    task_loss: float
    adversarial_loss: float = math.nan
    difference_loss: float = math.nan
    penalty: float = 0.0
    discriminator_accuracy: float = math.nan
    reversal_scale: float = math.nan
    extra_terms: dict[str, float] = field(default_factory=dict)  # the unweighted values of terms of your own

    def row(self) -> dict:
        """The step as one row of the step log: every field, and a column per term of your own."""
        return {name: value for name, value in asdict(self).items() if name != "extra_terms"} | self.extra_terms


class Trainer:
    """Trains any `MultiTaskModel` on the data prepared for it, evaluates it on dev, keeps the best epoch.

    >>> config = TrainConfig(epochs=3)
    >>> trainer = Trainer(model, config.prepare(news, vocab), config)
    >>> history = trainer.fit()          # one row per epoch: losses, dev scores, task weights
    >>> trainer.evaluate("test")         # {"tasks": {task: {"accuracy", "macro_f1"}}, "average": {...}}
    """

    def __init__(self, model: MultiTaskModel, data: TrainingData, config: TrainConfig | None = None,
                 weighting: LossWeighting | None = None, terms: list[StepTerm] | None = None):
        config = config or TrainConfig()
        if not isinstance(data, TrainingData):
            raise ConfigError(f"Trainer reads data prepared for training, not a {type(data).__name__}: "
                              "Trainer(model, config.prepare(data, vocab), config)")
        if config.tasks_per_step is None and config.batching == "task":
            config = replace(config, tasks_per_step=1 if model.discriminator is None else DISCRIMINATOR_TASKS_PER_STEP)
        if weighting is not None:  # trained as given, and recorded in the config, so that a saved run names it
            config = replace(config, weighting=weighting)
        self.config = config
        self.device = usable_device(config.device) if config.device else get_device()
        self.model = model.to(self.device)
        self.data = data
        self.tasks = data.task_names
        self._check_prepared_as_configured()
        self._check_fits_model()
        self.train_datasets = data.splits["train"]  # under torchrun, this process's shard
        self.unlabeled = data.unlabeled if config.unlabeled else {}
        self._unlabeled_batches: dict[str, Passes] = {}  # endless, one per task, while fit() runs
        self.weighting = (weighting if weighting is not None else self._fresh_weighting()).to(self.device)
        self._check_weighting_can_act()
        self.terms = default_terms(model, config.difference_weight) if terms is None else list(terms)
        self.train_sizes = data.sizes("train")  # all processes'
        self._parallel = self._distribute() if world_size() > 1 else None
        self.optimizer = torch.optim.Adam([*self.model.parameters(), *self.weighting.parameters()],
                                          lr=self.config.learning_rate, weight_decay=self.config.weight_decay)
        self.history = pd.DataFrame()
        self.step_log = pd.DataFrame()

    def _fresh_weighting(self) -> LossWeighting:
        """The config's weighting: built from its name, or a copy of its instance (which stays untrained)."""
        if isinstance(self.config.weighting, LossWeighting):
            return copy.deepcopy(self.config.weighting)
        options = {"weights": self.config.task_weights} if self.config.task_weights is not None else {}
        return make_weighting(self.config.weighting, self.tasks, **options)

    @property
    def task_prior(self) -> dict[str, float]:
        """The chance that a training batch comes from each task, as the sampler draws them."""
        return make_sampler(self.config.sampler, self.config.temperature).probabilities(self.train_sizes)

    @property
    def discriminator_chance(self) -> float:
        """The discriminator accuracy of always naming the likeliest task: the chance line.

        Not 1 / num_tasks: with proportional sampling on the news, always guessing Reuters
        is right about 0.30 of the time, and a discriminator learns that prior first.
        """
        return max(self.task_prior.values())

    @property
    def selection_metric(self) -> str:
        """What model selection maximises on dev: `config.select_on`, or R^2 when no task classifies."""
        return self.config.select_on if len(self.data.regression_tasks) < len(self.tasks) else "r2"

    def _check_prepared_as_configured(self) -> None:
        """The data must be prepared as the config trains (text length, batching, unlabeled texts),
        and the options must suit the model."""
        config, data = self.config, self.data
        wanted = "; prepare it with config.prepare(data, vocab)"
        if data.max_length != config.max_length:
            raise ConfigError(f"the data was prepared with max_length={data.max_length}, but the config says "
                              f"{config.max_length}{wanted}")
        if config.batching == "text" and data.labeled_texts is None:
            raise ConfigError(f"batching='text' reads the texts with all their labels, which the data lacks{wanted}")
        if config.unlabeled and not data.unlabeled:
            raise ConfigError(f"unlabeled=True reads each task's unlabeled texts, which the data lacks{wanted}")
        if self.model.discriminator is not None and config.batching == "text":
            raise ConfigError("batching='text' mixes tasks within one text, but a task discriminator needs each "
                              "text to belong to one task; train asp with batching='task'")
        if self.model.discriminator is None and config.unlabeled:
            raise ConfigError("TrainConfig.unlabeled=True needs a model with a task discriminator; "
                              "build it with build_model('asp', ...) or --model asp")

    def _check_weighting_can_act(self) -> None:
        """A weighting that acts on several tasks' gradients at once (PCGrad) needs steps that hold them."""
        if not self.weighting.needs_several_tasks:
            return
        name = type(self.weighting).__name__
        if len(self.tasks) < 2:
            raise ConfigError(f"the {name} weighting acts between the gradients of two or more tasks, but the data has "
                              f"one task ({self.tasks[0]}): choose weighting='equal'")
        if self.config.batching == "task" and self.config.tasks_per_step < 2:
            raise ConfigError(f"the {name} weighting acts between the gradients of two or more tasks in one step, but "
                              "each step holds one task's batch: set TrainConfig(tasks_per_step=...) to 2 or more "
                              f"(all {len(self.tasks)} tasks with sampler='round_robin'; on the command line "
                              f"--tasks-per-step {len(self.tasks)} --sampler round_robin)")

    def _check_fits_model(self) -> None:
        """Every task of the data must be a task of the model, with labels its head can output."""
        for task in self.tasks:
            if task not in self.model.num_labels:
                raise UnknownTaskError(f"the data has task {task!r} but the model does not; "
                                       f"the model's tasks are: {', '.join(self.model.task_names)}")
            outputs = self.model.num_labels[task]
            if self.data.is_regression(task):
                if outputs != 1:
                    raise ConfigError(f"task {task!r} is a regression task, but the model's head for it has "
                                      f"{outputs} outputs; build the model with 1 output for it")
                continue
            for split, datasets in self.data.splits.items():
                labels = datasets[task].labels
                if labels and max(labels) >= outputs:
                    raise ConfigError(f"task {task!r} has label id {max(labels)} in {split}, but the model's "
                                      f"head for it has {outputs} outputs (label ids 0..{outputs - 1})")

    def _distribute(self) -> DistributedDataParallel:
        """Under torchrun: refuse what DDP cannot run, keep this process's shard of the training
        texts, and wrap the step's loss in DDP (`mtl_lib.distributed`)."""
        if type(self.weighting).backward is not LossWeighting.backward:
            raise ConfigError(f"the {type(self.weighting).__name__} weighting takes its own backward passes (one per "
                              "task, for PCGrad), and DistributedDataParallel averages gradients once per backward: "
                              "train it in one process (without torchrun), or choose another weighting")
        if self.config.batching == "text":
            raise ConfigError("batching='text' runs in one process: without torchrun, or with batching='task'")
        parts, part = world_size(), rank()
        small = {task: size for task, size in self.train_sizes.items() if size < parts}
        if small:
            fewest = ", ".join(f"{task!r} has {size}" for task, size in small.items())
            raise DataError(f"{parts} processes each need training rows of every task, but {fewest}: train with "
                            f"at most {max(1, min(small.values()))} processes, or give those tasks more rows")
        self.train_datasets = {task: shard(dataset, part, parts) for task, dataset in self.train_datasets.items()}
        self.unlabeled = {task: shard(dataset, part, parts) for task, dataset in self.unlabeled.items()}
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(_StepLoss(self), device_ids=device_ids, find_unused_parameters=True)

    # --- training -----------------------------------------------------------------------------

    def fit(self, state_file: str | Path | None = None) -> pd.DataFrame:
        """Train for `config.epochs` (or until early stopping) and restore the best dev epoch.

        Returns the per-epoch history; `self.step_log` has every step's loss terms. With
        `state_file`, the training state is written there after every epoch, and a state found
        there is resumed from (`mtl_lib.training_state`): a fit interrupted and run again with
        the same data and config ends with the same model, to the bit, as one never interrupted.
        Delete the file once the run is saved.
        """
        config = self.config
        torch.manual_seed(config.seed)  # dropout and the discriminator's draws
        step_batches, steps_per_epoch = self._step_batches()
        self._unlabeled_batches = {
            task: Passes(task_loader(dataset, config.batch_size, shuffle=True, seed=config.seed + i))
            for i, (task, dataset) in enumerate(self.unlabeled.items())}
        total_steps = steps_per_epoch * config.epochs
        fitted = FitProgress()
        if state_file is not None and Path(state_file).is_file():
            fitted = resume(self, state_file)

        bar = tqdm(total=total_steps, initial=len(fitted.step_rows), desc="training", unit="step",
                   disable=not config.progress or rank() != 0)
        for epoch in range(fitted.epochs + 1, config.epochs + 1):
            if fitted.stopped:
                break
            self.model.train()
            results = []
            epoch_batches = step_batches()
            bar.set_description(f"epoch {epoch}/{config.epochs}")
            for _ in range(steps_per_epoch):
                progress = (len(fitted.step_rows) + len(results)) / total_steps
                results.append(self.train_step(next(epoch_batches), progress))
                bar.update()
            fitted.step_rows += [{"step": len(fitted.step_rows) + i + 1, "epoch": epoch, **result.row()}
                                 for i, result in enumerate(results)]
            dev = self.evaluate("dev")
            dev_score = dev["average"][self.selection_metric]
            bar.set_postfix({f"dev_{self.selection_metric}": f"{dev_score:.3f}"})
            fitted.epoch_rows.append(self._epoch_row(epoch, results, dev))
            fitted.epochs = epoch
            if dev_score > fitted.best_score:
                fitted.best_score, fitted.epochs_since_best = dev_score, 0
                fitted.best_state = {name: value.detach().clone() for name, value in self.model.state_dict().items()}
            else:
                fitted.epochs_since_best += 1
                fitted.stopped = config.patience is not None and fitted.epochs_since_best >= config.patience
            if state_file is not None:
                save_state(self, fitted, state_file)
        bar.total = bar.n  # an early stop is a finished run: the bar closes as complete, not failed
        bar.close()

        self.model.load_state_dict(fitted.best_state)
        self.model.eval()  # handed back ready to predict: no dropout
        self.history = pd.DataFrame(fitted.epoch_rows)
        selected = self.history[f"dev_{self.selection_metric}"]
        self.history["best"] = self.history.epoch == self.history.loc[selected.idxmax(), "epoch"]
        self.step_log = pd.DataFrame(fitted.step_rows)
        return self.history

    def _step_batches(self) -> tuple[Callable[[], Iterator[list[tuple[str, Batch]] | LabelsBatch]], int]:
        """A function that starts one epoch's stream of step inputs, and the number of steps per epoch.

        Batching by task: groups of `tasks_per_step` (task, batch) pairs in sampled task order.
        Batching by text: batches of training texts with all their labels (`LabelsBatch`).
        """
        config = self.config
        if config.batching == "text":
            loader = labeled_texts_loader(self.data.labeled_texts, config.batch_size, shuffle=True, seed=config.seed)
            self._epoch_source = loader
            return (lambda: iter(loader)), len(loader)
        loaders = {task: task_loader(dataset, config.batch_size, shuffle=True, seed=config.seed + i)
                   for i, (task, dataset) in enumerate(self.train_datasets.items())}
        # Under torchrun every process takes the same number of steps, each on its own shard.
        steps = sum(math.ceil(math.ceil(size / world_size()) / config.batch_size) for size in self.train_sizes.values())
        batches = MultiTaskBatches(loaders, make_sampler(config.sampler, config.temperature), num_steps=steps,
                                   seed=config.seed)
        self._epoch_source = batches
        steps = max(1, len(batches) // config.tasks_per_step)
        return (lambda: _grouped(iter(batches), config.tasks_per_step)), steps

    def task_loss(self, task: str, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Cross-entropy for a classification task; mean squared error for a regression task's one output."""
        if self.data.is_regression(task):
            return F.mse_loss(logits.float().squeeze(1), targets.float())
        return F.cross_entropy(logits.float(), targets)

    def _forward_by_task(self, group: list[tuple[str, Batch]]) -> list[Forwarded]:
        """The output, targets and discriminator logits of each batch, unlabeled texts' logits included."""
        forwarded = []
        for task, batch in group:
            batch = batch.to(self.device)
            output = self.model(batch.tokens, batch.lengths, task)
            task_logits = [output.task_logits] if output.task_logits is not None else []
            if task in self._unlabeled_batches:  # texts of the same task without a category
                texts = self._unlabeled_batches[task].next().to(self.device)
                task_logits.append(self.model(texts.tokens, texts.lengths, task).task_logits)
            forwarded.append(Forwarded(task, output, batch.labels, task_logits))
        return forwarded

    def _forward_by_text(self, batch: LabelsBatch) -> list[Forwarded]:
        """The encoder once for the batch's texts; each task's head on the rows that carry its label.

        A task with no label in the batch is not run at all, so its head gets no gradient.
        """
        batch = batch.to(self.device)
        labeled = {task: has_label(targets) for task, targets in batch.targets.items()}
        tasks = [task for task, rows in labeled.items() if rows.any()]
        outputs = self.model.forward_tasks(batch.tokens, batch.lengths, tasks)
        return [Forwarded(task, outputs[task].rows(labeled[task]), batch.targets[task][labeled[task]], [])
                for task in tasks]

    def train_step(self, batches: list[tuple[str, Batch]] | LabelsBatch, progress: float) -> StepResult:
        """One optimiser step on one batch of each task in a group, or on one `LabelsBatch`.

        `progress` in [0, 1) drives the adversarial schedule.
        """
        self.optimizer.zero_grad(set_to_none=True)
        if self._parallel is not None:  # under torchrun: DDP averages the gradients of all processes
            total, terms = self._parallel(batches, progress)
            total.backward()
        else:
            task_losses, extra, terms = self.step_losses(batches, progress)
            total = self.weighting.backward(task_losses, extra, self.model.shared_parameters())
        if self.config.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        return StepResult(loss=total.item(), **terms)

    def step_losses(self, batches: list[tuple[str, Batch]] | LabelsBatch,
                    progress: float) -> tuple[dict[str, torch.Tensor], torch.Tensor, dict]:
        """A step's forward pass: each task's loss, the weighted sum of the other terms, and what to log.

        The other terms are `self.terms` (`mtl_lib.step_terms`): the model's penalty, the
        adversarial loss (through the gradient reversal layer, scaled by the schedule at
        `progress`), the difference loss. The loss weighting turns it all into the step's loss.
        """
        model, config = self.model, self.config
        reversal_scale = config.adversarial_weight * (
            ganin_lambda(progress) if config.adversarial_schedule == "ganin" else 1.0)
        if model.discriminator is not None:
            model.discriminator.reversal_scale = reversal_scale
        task_losses, values = {}, {}
        with autocast(self.device, self.config.mixed_precision):
            forwarded = (self._forward_by_text(batches) if isinstance(batches, LabelsBatch)
                         else self._forward_by_task(batches))
            for step in forwarded:
                loss = self.task_loss(step.task, step.output.logits, step.targets)
                task_losses[step.task] = task_losses.get(step.task, 0.0) + loss  # a task drawn twice adds up
            extra = torch.zeros((), device=self.device)  # every term that is not a task loss
            for term in self.terms:
                value = term(model, forwarded)
                values[term.name] = math.nan if value is None else value.item()
                if value is not None:
                    extra = extra + term.weight * value
        accuracies = [discriminator_accuracy(logits, model.task_index(step.task))
                      for step in forwarded for logits in step.task_logits]
        built_in = {name: values.pop(name) for name in ("adversarial_loss", "difference_loss", "penalty")
                    if name in values}
        logged = {
            "task": ",".join(task_losses),
            "task_loss": sum(loss.item() for loss in task_losses.values()),
            "discriminator_accuracy": float(np.mean(accuracies)) if accuracies else math.nan,
            "reversal_scale": reversal_scale if model.discriminator is not None else math.nan,
            **built_in, "extra_terms": values,
        }
        return task_losses, extra, logged

    def _epoch_row(self, epoch: int, results: list[StepResult], dev: dict) -> dict:
        steps = pd.DataFrame([result.row() for result in results])
        row = {"epoch": epoch, "train_loss": steps.task_loss.mean(),
               "adversarial_loss": steps.adversarial_loss.mean(),
               "difference_loss": steps.difference_loss.mean(),
               "discriminator_accuracy": steps.discriminator_accuracy.mean(),
               "discriminator_chance": self.discriminator_chance}
        row |= {f"dev_{metric}": value for metric, value in dev["average"].items()}
        row |= {f"dev_{metric}/{task}": scores[metric] for task, scores in dev["tasks"].items()
                for metric in ("accuracy", "r2") if metric in scores}
        row |= {f"weight/{task}": weight for task, weight in self.weighting.weights().items()}
        return row

    # --- evaluation ---------------------------------------------------------------------------

    def evaluate(self, split: str = "test") -> dict:
        """`mtl_lib.evaluation.evaluate`: the model's scores on `split` of its data, per task and on average."""
        return evaluate(self.model, self.data, split, self.config.evaluation_batch_size, self.config.mixed_precision)


class _StepLoss(nn.Module):
    """The model and its loss weighting as one module whose forward is a training step's loss: what DDP wraps.

    DDP averages the gradients of the parameters that its module's forward used, once per
    backward; a step's forward runs the model once per task in it (and the weighting, which may
    have parameters of its own), so the whole step is the forward here.
    """

    def __init__(self, trainer: "Trainer"):
        super().__init__()
        self.model, self.weighting = trainer.model, trainer.weighting
        self.step_losses = trainer.step_losses

    def forward(self, batches: list[tuple[str, Batch]], progress: float) -> tuple[torch.Tensor, dict]:
        task_losses, extra, terms = self.step_losses(batches, progress)
        return self.weighting.combine(task_losses) + extra, terms


def _grouped(pairs: Iterator[tuple[str, Batch]], size: int) -> Iterator[list[tuple[str, Batch]]]:
    """Consecutive groups of `size` (task, batch) pairs: the batches of one optimiser step."""
    while group := [pair for _, pair in zip(range(size), pairs)]:
        yield group
