"""Future signals as auxiliary tasks (chapter 08): targets that arrive after the prediction is made.

A model that scores a patient at admission cannot read the lab results that come back
later, but it can learn to predict them while it trains: they are extra targets, never
inputs, and at deployment their heads are simply not used (Fast Forward Labs, "Multi-Task
Learning", 2020). The data are scikit-learn's bundled diabetes study (Efron et al., 2004):
442 patients, and as target their disease progression one year after baseline. We take age,
sex, BMI and blood pressure as known at admission and the six blood serum measurements as
arriving from the lab later (`SIGNAL_NAMES` says what each measures). That "later" is our
framing: in the study all ten were measured at baseline.

>>> data = load_diabetes_patients(seed=0)
>>> trained = train_mlp(data.train, data.dev, aux_weight=1.0)
>>> score_progression(data, data.test, trained.model.predict(data.test.admission))
"""

import contextlib
import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, r2_score
from torch import Tensor, nn

from mtl_lib.config import pick
from mtl_lib.errors import ConfigError, DataError

ADMISSION_FEATURES = ("age", "sex", "bmi", "bp")
FUTURE_SIGNALS = ("s1", "s2", "s3", "s4", "s5", "s6")
TARGET = "progression"
SIGNAL_NAMES = {"s1": "total cholesterol", "s2": "LDL cholesterol", "s3": "HDL cholesterol",
                "s4": "total / HDL cholesterol", "s5": "log triglycerides", "s6": "blood sugar"}
INPUTS = ("admission", "all")
SPLITS = ("train", "dev", "test")


def diabetes_frame() -> pd.DataFrame:
    """The 442 patients in their original units: age, sex, bmi, bp, s1..s6 and progression."""
    return load_diabetes(scaled=False, as_frame=True).frame.rename(columns={"target": TARGET})


@dataclass(frozen=True)
class Patients:
    """The patients of one split, every column standardised with the training statistics."""

    rows: np.ndarray  # (patients,), each patient's row in the frame it came from
    admission: np.ndarray  # (patients, admission features)
    future: np.ndarray  # (patients, future signals)
    target: np.ndarray  # (patients,)


@dataclass(frozen=True)
class FutureSignalsData:
    """A train/dev/test split of patients, with the names of its columns and the statistics that scaled them."""

    train: Patients
    dev: Patients
    test: Patients
    admission_names: tuple[str, ...]
    future_names: tuple[str, ...]
    target_name: str
    mean: pd.Series  # of every column, over the training patients only
    std: pd.Series

    def in_target_units(self, standardised: np.ndarray) -> np.ndarray:
        """Standardised target values back in the target's own units (progression, for the diabetes study)."""
        return standardised * self.std[self.target_name] + self.mean[self.target_name]


def split_patients(frame: pd.DataFrame, admission_names: Sequence[str] = ADMISSION_FEATURES,
                   future_names: Sequence[str] = FUTURE_SIGNALS, target_name: str = TARGET, seed: int = 0,
                   fractions: tuple[float, float, float] = (0.6, 0.2, 0.2)) -> FutureSignalsData:
    """Shuffle the rows of `frame` with `seed`, cut them into train, dev and test, and standardise.

    The mean and standard deviation of each column come from the training rows alone: a
    dev or test patient must not leak into what the model learns, not even through the scale.
    """
    columns = [*admission_names, *future_names, target_name]
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DataError(f"the frame has no column {', '.join(map(repr, missing))}; its columns are "
                        f"{', '.join(map(repr, frame.columns))}")
    if len(fractions) != 3 or min(fractions) <= 0 or not np.isclose(sum(fractions), 1):
        raise ConfigError(f"fractions must be three numbers > 0 for train, dev and test that sum to 1; "
                          f"got {fractions!r}")
    order = np.random.default_rng(seed).permutation(len(frame))
    ends = np.round(np.cumsum(fractions)[:2] * len(frame)).astype(int)
    rows = dict(zip(SPLITS, np.split(order, ends)))
    values = frame[columns].astype(float)
    train = values.iloc[rows["train"]]
    mean, std = train.mean(), train.std(ddof=0)
    constant = list(std.index[std == 0])
    if constant:
        raise DataError(f"the column {', '.join(map(repr, constant))} is constant over the training rows; "
                        f"it cannot be standardised")
    standardised = ((values - mean) / std).to_numpy(np.float32)  # (rows, columns)
    admission = slice(0, len(admission_names))
    future = slice(len(admission_names), len(columns) - 1)

    def patients(split: str) -> Patients:
        split_values = standardised[rows[split]]  # (patients, columns)
        return Patients(rows[split], split_values[:, admission], split_values[:, future], split_values[:, -1])

    return FutureSignalsData(patients("train"), patients("dev"), patients("test"), tuple(admission_names),
                             tuple(future_names), target_name, mean, std)


def load_diabetes_patients(seed: int = 0) -> FutureSignalsData:
    """The diabetes study split 60/20/20 with `seed`: 265 training, 89 dev and 88 test patients."""
    return split_patients(diabetes_frame(), seed=seed)


def with_noise_signals(data: FutureSignalsData, seed: int) -> FutureSignalsData:
    """The same patients with each future signal replaced by standard normal noise: auxiliary targets
    that carry nothing about the patient, a control for what auxiliary tasks do when they are unrelated.
    """
    rng = np.random.default_rng(seed)

    def noisy(patients: Patients) -> Patients:
        return replace(patients, future=rng.standard_normal(patients.future.shape).astype(np.float32))

    names = tuple(f"noise_{i}" for i in range(1, len(data.future_names) + 1))
    return replace(data, train=noisy(data.train), dev=noisy(data.dev), test=noisy(data.test), future_names=names)


def model_inputs(patients: Patients, inputs: str = "admission") -> np.ndarray:
    """What a model reads: the admission features, or with `inputs="all"` the future signals as well,
    for an upper bound that could not be deployed at admission.
    """
    if inputs not in INPUTS:
        raise ConfigError(f"inputs must be one of {', '.join(INPUTS)}; got {inputs!r}")
    return patients.admission if inputs == "admission" else np.hstack([patients.admission, patients.future])


class FutureSignalsMLP(nn.Module):
    """A shared trunk read by a main head (the target) and by one head per future signal.

    The future heads only shape the trunk while it trains; `predict`, the deployed model,
    runs the main head alone.
    """

    def __init__(self, inputs: int, future_names: Sequence[str], hidden: int = 32, dropout: float = 0.1):
        super().__init__()
        if not future_names:
            raise ConfigError("future_names is empty; a model without auxiliary targets is this one trained "
                              "with aux_weight=0")
        self.inputs = inputs
        self.trunk = nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Dropout(dropout))
        self.main_head = nn.Linear(hidden, 1)
        self.future_heads = nn.ModuleDict({name: nn.Linear(hidden, 1) for name in future_names})

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        """The main prediction (patients,) and the prediction of each future signal (patients, signals)."""
        shared_features = self.trunk(features)  # (patients, hidden)
        main = self.main_head(shared_features).squeeze(1)  # (patients,)
        future = torch.cat([head(shared_features) for head in self.future_heads.values()], dim=1)
        return main, future

    @torch.no_grad()
    def predict(self, features: np.ndarray) -> np.ndarray:
        """The main head's standardised predictions, in eval mode; the mode it found is put back."""
        if features.ndim != 2 or features.shape[1] != self.inputs:
            raise DataError(f"the model reads {self.inputs} features per patient; got an array of shape "
                            f"{features.shape}")
        was_training = self.training
        self.eval()
        main, _ = self(torch.as_tensor(features, dtype=torch.float32))
        self.train(was_training)
        return main.numpy()


@dataclass(frozen=True)
class FitConfig:
    """How the MLP is built and trained. The defaults were chosen on dev patients, never on test ones."""

    hidden: int = 32
    dropout: float = 0.1
    lr: float = 0.01
    weight_decay: float = 1e-4
    max_epochs: int = 500
    patience: int = 50  # epochs without a better dev loss before training stops

    def __post_init__(self):
        for name in ("hidden", "max_epochs", "patience"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ConfigError(f"{name} must be a whole number >= 1; got {getattr(self, name)!r}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1); got {self.dropout!r}")
        if not self.lr > 0:
            raise ConfigError(f"lr must be > 0; got {self.lr!r}")
        if not self.weight_decay >= 0:
            raise ConfigError(f"weight_decay must be >= 0; got {self.weight_decay!r}")


def training_loss(model: FutureSignalsMLP, features: Tensor, target: Tensor, future: Tensor,
                  aux_weight: float) -> Tensor:
    """MSE of the main target + aux_weight * the mean over future signals of each one's MSE."""
    main, predicted_future = model(features)
    return F.mse_loss(main, target) + aux_weight * F.mse_loss(predicted_future, future)


@dataclass
class TrainedMLP:
    """The model at its best dev epoch, and the losses of every epoch (columns epoch, train_loss, dev_loss)."""

    model: FutureSignalsMLP
    history: pd.DataFrame
    best_epoch: int


def train_mlp(train: Patients, dev: Patients, aux_weight: float, config: FitConfig = FitConfig(), seed: int = 0,
              inputs: str = "admission", future_names: Sequence[str] = FUTURE_SIGNALS) -> TrainedMLP:
    """Full-batch Adam on the training patients; the epoch kept is the one with the lowest dev loss
    of the main target. The dev future signals are never read: selection is on what is deployed.

    `seed` draws the initial weights and the dropout masks, so runs with the same seed start
    alike whatever `aux_weight` is: the future heads are built after the trunk and the main head.
    """
    if not aux_weight >= 0:
        raise ConfigError(f"aux_weight must be >= 0; got {aux_weight!r}")
    torch.manual_seed(seed)
    features = torch.as_tensor(model_inputs(train, inputs))  # (patients, inputs)
    target, future = torch.as_tensor(train.target), torch.as_tensor(train.future)
    dev_features = model_inputs(dev, inputs)
    model = FutureSignalsMLP(features.shape[1], future_names, config.hidden, config.dropout)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    history, best_loss, best_epoch, best_state = [], float("inf"), 0, None
    for epoch in range(1, config.max_epochs + 1):
        optimizer.zero_grad()
        loss = training_loss(model, features, target, future, aux_weight)
        loss.backward()
        optimizer.step()
        dev_loss = float(np.mean((model.predict(dev_features) - dev.target) ** 2))
        history.append({"epoch": epoch, "train_loss": loss.item(), "dev_loss": dev_loss})
        if dev_loss < best_loss:
            best_loss, best_epoch, best_state = dev_loss, epoch, copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= config.patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    return TrainedMLP(model, pd.DataFrame(history), best_epoch)


def score_progression(data: FutureSignalsData, patients: Patients, predicted: np.ndarray) -> dict[str, float]:
    """R^2 and mean absolute error of standardised predictions for `patients`; the MAE is in target units."""
    truth, predicted = data.in_target_units(patients.target), data.in_target_units(predicted)
    return {"r2": float(r2_score(truth, predicted)), "mae": float(mean_absolute_error(truth, predicted))}


@dataclass(frozen=True)
class Condition:
    """One way to predict at admission: a model, what it reads, and which auxiliary targets it learns.

    `aux_targets` is "serum" (the future signals) or "noise" (columns of random numbers);
    with `aux_weight=0` neither is learned. `inputs="all"` reads the future signals, so it is
    an upper bound that could not be deployed at admission.
    """

    name: str
    model: str = "mlp"
    inputs: str = "admission"
    aux_targets: str = "serum"
    aux_weight: float = 0.0

    def __post_init__(self):
        if self.model not in ("mlp", "linear"):
            raise ConfigError(f"model must be 'mlp' or 'linear'; got {self.model!r}")
        if self.inputs not in INPUTS:
            raise ConfigError(f"inputs must be one of {', '.join(INPUTS)}; got {self.inputs!r}")
        if self.aux_targets not in ("serum", "noise"):
            raise ConfigError(f"aux_targets must be 'serum' or 'noise'; got {self.aux_targets!r}")
        if not self.aux_weight >= 0:
            raise ConfigError(f"aux_weight must be >= 0; got {self.aux_weight!r}")
        if self.aux_weight and (self.model == "linear" or self.inputs == "all"):
            raise ConfigError(f"condition {self.name!r}: aux_weight must be 0 for a linear model or one that "
                              f"reads every column")

    @property
    def deployable(self) -> bool:
        """Whether the condition predicts from what is known at admission."""
        return self.inputs == "admission"


BASELINE = "MLP, no aux"
DEFAULT_CONDITIONS = (
    Condition("linear, admission", model="linear"),
    Condition(BASELINE),
    Condition("MLP + serum aux, weight 1", aux_weight=1.0),
    Condition("MLP + serum aux, weight 10", aux_weight=10.0),
    Condition("MLP + noise aux, weight 1", aux_targets="noise", aux_weight=1.0),
    Condition("MLP, all ten inputs", inputs="all"),
    Condition("linear, all ten inputs", model="linear", inputs="all"),
)


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread inside the block: these tiny matrices run no faster on more."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def run_condition(condition: Condition, data: FutureSignalsData, config: FitConfig, seed: int
                  ) -> dict[str, dict[str, float]]:
    """Fit one condition on `data` and score it: {"dev": {"r2", "mae"}, "test": {"r2", "mae"}}."""
    if condition.aux_targets == "noise":
        data = with_noise_signals(data, seed)
    if condition.model == "linear":
        linear = LinearRegression().fit(model_inputs(data.train, condition.inputs), data.train.target)
        predict = linear.predict
    else:
        predict = train_mlp(data.train, data.dev, condition.aux_weight, config, seed, condition.inputs,
                            data.future_names).model.predict
    return {split: score_progression(data, patients, predict(model_inputs(patients, condition.inputs)))
            for split, patients in (("dev", data.dev), ("test", data.test))}


def future_signals_experiment(seeds: Sequence[int] | None = None,
                              conditions: Sequence[Condition] = DEFAULT_CONDITIONS,
                              config: FitConfig = FitConfig(), frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every condition on every seed, scored on dev and test patients, as one long table.

    Columns: seed, condition, model, inputs, aux_targets, aux_weight, deployable, split, r2,
    mae. A seed fixes the split, the noise columns and the MLP's initial weights, so the
    conditions of one seed are paired: they differ only in what they learn from. `seeds`
    defaults to 10 (2 in smoke mode); `frame` to the diabetes study.
    """
    seeds = range(pick(10, 2)) if seeds is None else seeds
    frame = diabetes_frame() if frame is None else frame
    rows = []
    with one_thread():
        for seed in seeds:
            data = split_patients(frame, seed=seed)
            for condition in conditions:
                for split, scores in run_condition(condition, data, config, seed).items():
                    rows.append({"seed": seed, "condition": condition.name, "model": condition.model,
                                 "inputs": condition.inputs, "aux_targets": condition.aux_targets,
                                 "aux_weight": condition.aux_weight, "deployable": condition.deployable,
                                 "split": split, **scores})
    return pd.DataFrame(rows)


def paired_differences(scores: pd.DataFrame, baseline: str = BASELINE, split: str = "test") -> pd.DataFrame:
    """Each condition minus `baseline`, seed by seed, on one split: columns condition, seed, r2, mae.

    A positive r2 and a negative mae are improvements. The two runs of a pair share their split
    and initial weights, so most of the luck of either cancels out of their difference.
    """
    if split not in set(scores.split):
        raise DataError(f"the table has no {split!r} rows; its splits are "
                        f"{', '.join(map(repr, scores.split.unique()))}")
    if baseline not in set(scores.condition):
        raise DataError(f"{baseline!r} is not a condition of the table; its conditions are "
                        f"{', '.join(map(repr, scores.condition.unique()))}")
    table = scores[scores.split == split].set_index(["condition", "seed"])[["r2", "mae"]]
    differences = table.drop(index=baseline, level="condition").sub(table.loc[baseline], level="seed")
    conditions = [condition for condition in dict.fromkeys(scores.condition) if condition != baseline]
    return differences.reindex(conditions, level="condition").dropna().reset_index()


def difference_summary(differences: pd.DataFrame) -> pd.DataFrame:
    """Per condition, from `paired_differences`: mean and standard deviation of each difference over
    seeds, and how many seeds improved (r2 up, mae down) out of how many.

    Columns: r2_mean, r2_std, mae_mean, mae_std, r2_improved, mae_improved, seeds.
    """
    grouped = differences.groupby("condition", sort=False)
    return pd.DataFrame({
        "r2_mean": grouped.r2.mean(), "r2_std": grouped.r2.std(),
        "mae_mean": grouped.mae.mean(), "mae_std": grouped.mae.std(),
        "r2_improved": grouped.r2.apply(lambda r2: int((r2 > 0).sum())),
        "mae_improved": grouped.mae.apply(lambda mae: int((mae < 0).sum())),
        "seeds": grouped.size(),
    })
