"""Tasks and multi-task data: what every chapter and the trainer read examples from.

A task is one classification problem with its own label set (in this course, one
publication), or a regression problem with a number as its target. `MultiTaskData`
holds every task's train/dev/test examples in one tidy DataFrame (`task`, `split`,
`text`, `label`, and extra columns such as `story`), plus any unlabeled texts, and is
built the same way from a built-in data set, a CSV file, or your own DataFrame.

One text may carry labels of several tasks: it is then one row per task (the long
format), the same text in each. Long, not one column per task, because tasks keep
their own rows: a missing label is a missing row rather than a blank cell to guess
about, tasks may label different texts, and data with one label per text needs no
change at all.
"""

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mtl_lib import config
from mtl_lib.data.download import fetch
from mtl_lib.data.sources import SOURCES
from mtl_lib.data.splits import SPLITS, stratified_grouped_split
from mtl_lib.files import write_text_atomically
from mtl_lib.errors import (CorruptArchiveError, DataError, DataWarning, UnknownDatasetError, UnknownLabelError,
                            UnknownTaskError)


@dataclass(frozen=True)
class Task:
    """One task: a name and its label names (their order gives the label ids).

    A regression task has no label names (`label_names == ()`): its labels are numbers,
    and its model head has one output.
    """

    name: str
    label_names: tuple[str, ...]

    @property
    def num_labels(self) -> int:
        return len(self.label_names)

    @property
    def is_regression(self) -> bool:
        return not self.label_names

    @property
    def num_outputs(self) -> int:
        """Outputs of the task's head: one per label, or a single number for regression."""
        return self.num_labels or 1

    def targets(self, labels: Sequence[str]) -> np.ndarray:
        """What the model learns to output: label ids (int64), or the numbers of a regression task (float32)."""
        if not self.is_regression:
            return self.label_ids(labels)
        values = pd.to_numeric(pd.Series(list(labels), dtype=object), errors="coerce")
        bad = [label for label, value in zip(labels, values) if not np.isfinite(value)]
        if bad:
            raise DataError(f"task {self.name!r} is a regression task, so its labels must be finite numbers; "
                            f"{len(bad)} are not (the first: {bad[0]!r})")
        return values.to_numpy(dtype=np.float32)

    def label_ids(self, labels: Sequence[str]) -> np.ndarray:
        """Label names to ids: `Task("BBC", ("sport", "tech")).label_ids(["tech"])` is `[1]`."""
        index = {name: i for i, name in enumerate(self.label_names)}
        try:
            return np.array([index[label] for label in labels], dtype=np.int64)
        except KeyError as exc:
            raise UnknownLabelError(
                f"{exc.args[0]!r} is not a label of task {self.name!r}; its labels are: "
                f"{', '.join(self.label_names)}") from None


class MultiTaskData:
    """Labeled examples of several tasks, already split into train, dev and test.

    Build it with `MultiTaskData.load("news")`, `MultiTaskData.load("my.csv")` or
    `MultiTaskData.from_frame(df, text="headline", label="topic", task="site")`.
    """

    def __init__(self, frame: pd.DataFrame, label_names: Mapping[str, Sequence[str]],
                 unlabeled: pd.DataFrame | None = None, name: str = "custom"):
        self.name = name
        self.frame = _validated(frame, label_names)
        present = set(self.frame.task)
        self.tasks = {task: Task(task, tuple(labels)) for task, labels in label_names.items() if task in present}
        self.unlabeled = (unlabeled if unlabeled is not None
                          else pd.DataFrame(columns=["task", "text"]))[["task", "text"]].reset_index(drop=True)

    # --- building ---------------------------------------------------------------------------

    @classmethod
    def load(cls, dataset: str | Path, seed: int = 0, regression: Sequence[str] = (), **columns: str
             ) -> "MultiTaskData":
        """A built-in data set by name (`news`, `bbc`, `fdu-mtl`) or a CSV file by path.

        The seed fixes the train/dev/test split. For a CSV, `regression` and `columns`
        (`text=`, `label=`, `task=`) are as in `from_frame`.
        """
        if str(dataset) in SOURCES:
            if regression:
                raise DataError(f"the built-in data set {str(dataset)!r} has no regression tasks; "
                                "regression tasks can be named for a CSV file")
            return cls.from_source(str(dataset), seed)
        path = Path(dataset)
        if path.suffix.lower() == ".csv" and path.is_file():
            return cls.from_csv(path, seed=seed, regression=regression, **columns)
        raise UnknownDatasetError(
            f"{str(dataset)!r} is neither a built-in data set ({', '.join(SOURCES)}) nor an existing .csv file")

    @classmethod
    def from_source(cls, name: str, seed: int = 0) -> "MultiTaskData":
        """Fetch, parse and split one of `SOURCES`."""
        source = SOURCES[name]
        path = fetch(source.archive)
        try:
            frame = source.parse(path)
        except CorruptArchiveError:
            if config.data_mirror() is None:
                path.unlink(missing_ok=True)  # a corrupt download goes, so the next run fetches it afresh
            raise
        frame["split"] = source.split(frame, seed)
        labeled = frame.split != "unlabeled"
        return cls(frame[labeled], source.label_names(frame[labeled]), frame[~labeled], name=name)

    @classmethod
    def from_csv(cls, path: str | Path, seed: int = 0, regression: Sequence[str] = (), **columns: str
                 ) -> "MultiTaskData":
        """Read a CSV with one row per example and task (long format), then as `from_frame`."""
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise DataError(f"{path} is not a readable CSV file: {exc}") from exc
        return cls.from_frame(frame, seed=seed, name=Path(path).stem, regression=regression, **columns)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, text: str = "text", label: str = "label", task: str = "task",
                   split: str = "split", label_names: Mapping[str, Sequence[str]] | None = None,
                   seed: int = 0, name: str = "custom", regression: Sequence[str] = ()) -> "MultiTaskData":
        """Your own data: one row per example and task, with text, label and task columns.

        A text labelled for several tasks has one row for each. Without a `split` column the
        rows are split 70/10/20 within each task, stratified by label, with identical texts
        kept in one split (across tasks too: a text is never trained on for one task and
        tested on for another). Tasks may have different label sets; without `label_names`
        each task's labels are the sorted labels that occur in it. The tasks named in
        `regression` have numbers as labels. Example:
        `MultiTaskData.from_frame(df, text="headline", label="topic", task="site")`.
        """
        wanted = {"text": text, "label": label, "task": task}
        missing = [column for column in wanted.values() if column not in frame.columns]
        if missing:
            raise DataError(f"the data has no column {', '.join(map(repr, missing))}; its columns are "
                            f"{', '.join(map(repr, frame.columns))}. Name the right ones with text=, label=, task= "
                            "(on the command line, --text-column, --label-column, --task-column). A text with labels of several tasks "
                            "takes one row per task: text, task, label (the long format)")
        tidy = frame.rename(columns={old: new for new, old in wanted.items()})
        tidy = tidy.rename(columns={split: "split"}) if split in frame.columns else tidy
        tidy = tidy.astype({"text": str, "label": str, "task": str})
        unknown = sorted(set(regression) - set(tidy.task))
        if unknown:
            raise UnknownTaskError(f"regression task {', '.join(map(repr, unknown))} is not a task of the data; "
                                   f"its tasks are: {', '.join(tidy.task.unique())}")
        if "split" not in tidy.columns:
            regressing = tidy.task.isin(list(regression))
            strata = tidy.task + "\x00" + tidy.label.where(~regressing, "")  # a number is no stratum
            tidy["split"] = stratified_grouped_split(strata, tidy.text.str.strip(), seed)
        if label_names is None:
            label_names = {t: () if t in regression else tuple(sorted(rows.label.unique()))
                           for t, rows in tidy.groupby("task", sort=False)}
            _warn_numeric_classes(label_names)
        return cls(tidy, label_names, name=name)

    # --- reading ----------------------------------------------------------------------------

    @property
    def task_names(self) -> list[str]:
        return list(self.tasks)

    @property
    def label_names(self) -> dict[str, tuple[str, ...]]:
        """`{task: label names}`, in task order."""
        return {name: task.label_names for name, task in self.tasks.items()}

    def with_split(self, split: pd.Series) -> "MultiTaskData":
        """The same examples under another train/dev/test assignment (one split name per row of `frame`)."""
        return MultiTaskData(self.frame.assign(split=split), self.label_names, self.unlabeled, name=self.name)

    def task(self, name: str) -> Task:
        """The task called `name`, or an `UnknownTaskError` that lists the tasks."""
        if name not in self.tasks:
            raise UnknownTaskError(f"{name!r} is not a task of this data set; tasks are: {', '.join(self.tasks)}")
        return self.tasks[name]

    def examples(self, task: str, split: str) -> pd.DataFrame:
        """One task's rows of one split (a view of `frame`)."""
        self.task(task)
        if split not in SPLITS:
            raise DataError(f"{split!r} is not a split; splits are: {', '.join(SPLITS)}")
        return self.frame[(self.frame.task == task) & (self.frame.split == split)]

    def texts(self, task: str, split: str) -> list[str]:
        return self.examples(task, split).text.tolist()

    def labels(self, task: str, split: str) -> np.ndarray:
        """Targets of one task's split, in the order of `texts`: label ids (int64), or numbers (float32)."""
        return self.task(task).targets(self.examples(task, split).label)

    @property
    def regression_tasks(self) -> list[str]:
        return [name for name, task in self.tasks.items() if task.is_regression]

    def labels_per_text(self, split: str) -> pd.Series:
        """How many tasks label each distinct text of `split`: all 1 unless texts carry several labels."""
        rows = self.frame[self.frame.split == split]
        return rows.groupby("text", sort=False).task.nunique()

    def counts(self) -> dict[str, dict[str, dict[str, int]]]:
        """`{task: {split: {label: count}}}`, every label of the task listed, zeros too.

        A regression task has one entry per split, `{"values": count}`.
        """
        table = self.frame.groupby(["task", "split", "label"], sort=False).size()
        per_split = self.frame.groupby(["task", "split"], sort=False).size()
        return {task.name: {split: ({"values": int(per_split.get((task.name, split), 0))} if task.is_regression
                                    else {label: int(table.get((task.name, split, label), 0))
                                          for label in task.label_names})
                            for split in SPLITS}
                for task in self.tasks.values()}

    def __repr__(self) -> str:
        sizes = self.frame.groupby("split", sort=False).size().reindex(SPLITS, fill_value=0)
        return (f"MultiTaskData({self.name!r}, {len(self.tasks)} tasks, "
                + ", ".join(f"{split}={n}" for split, n in sizes.items()) + ")")

    # --- deriving ---------------------------------------------------------------------------

    def with_label_names(self, label_names: Mapping[str, Sequence[str]]) -> "MultiTaskData":
        """The same examples, their labels numbered as `label_names` lists them (a saved model's order).

        A task, or a label of a task, that `label_names` does not have is an error that names it.
        """
        unknown = sorted(set(self.tasks) - set(label_names))
        if unknown:
            raise UnknownTaskError(f"the data has tasks the label names do not: {', '.join(unknown)} "
                                   f"(those have: {', '.join(label_names)})")
        return MultiTaskData(self.frame, {task: tuple(label_names[task]) for task in self.tasks}, self.unlabeled,
                             name=self.name)

    def with_task(self, name: str, rows: pd.DataFrame, label_names: Sequence[str] = ()) -> "MultiTaskData":
        """A copy with one more task, whose `rows` (columns text, label, split) may repeat existing texts.

        How an auxiliary task joins: `news.with_task("coverage", rows)` with rows for the
        training headlines only is a regression task trained on and never scored, since it
        has no dev or test rows. `label_names` empty means a regression task.
        """
        if name in self.tasks:
            raise DataError(f"the data already has a task {name!r}; choose another name")
        added = rows[["text", "label", "split"]].assign(task=name, label=rows.label.astype(str))
        return MultiTaskData(pd.concat([self.frame, added], ignore_index=True),
                             self.label_names | {name: tuple(label_names)}, self.unlabeled, name=self.name)

    def select(self, tasks: Sequence[str]) -> "MultiTaskData":
        """Only these tasks (for transfer: train on four publications, hold out the fifth)."""
        for name in tasks:
            self.task(name)
        return MultiTaskData(self.frame[self.frame.task.isin(tasks)],
                             {name: self.label_names[name] for name in tasks},
                             self.unlabeled[self.unlabeled.task.isin(tasks)], name=self.name)

    def repeated_test_texts(self) -> pd.Series:
        """For every test row, whether its task's train or dev rows hold the same text (case and spacing aside).

        FDU-MTL has such repeats (169 of the 400 test reviews of `magazines`): a model that
        memorises its training texts scores them for free. Indexed like `frame`'s test rows.
        """
        keys = self.frame.text.str.lower().str.split().str.join(" ")
        test = self.frame.split == "test"
        seen = set(zip(self.frame.task[~test], keys[~test]))
        return pd.Series([(task, key) in seen for task, key in zip(self.frame.task[test], keys[test])],
                         index=self.frame.index[test], name="repeated")

    def without_repeated_test_texts(self) -> "MultiTaskData":
        """A copy whose test split keeps only texts that no train or dev row of the same task holds."""
        repeated = self.repeated_test_texts()
        return MultiTaskData(self.frame.drop(repeated.index[repeated]), self.label_names, self.unlabeled,
                             name=self.name)

    def sample(self, per_split: int | None = None, train_fraction: float | Mapping[str, float] = 1.0,
               seed: int = 0) -> "MultiTaskData":
        """A smaller copy: at most `per_split` rows of each task and split (smoke mode), and/or
        a fraction of each task's training rows (`{"Reuters": 0.05}`: a low-resource Reuters).
        """
        fractions = (train_fraction if isinstance(train_fraction, Mapping)
                     else dict.fromkeys(self.tasks, train_fraction))
        rng = np.random.default_rng(seed)
        keep = []
        for (task, split), rows in self.frame.groupby(["task", "split"], sort=False):
            size = len(rows)
            if split == "train":
                size = max(1, round(size * fractions.get(task, 1.0)))
            if per_split is not None:
                size = min(size, per_split)
            keep.append(np.sort(rng.choice(rows.index.to_numpy(), size=size, replace=False)))
        return MultiTaskData(self.frame.loc[np.concatenate(keep)].sort_index(), self.label_names,
                             self.unlabeled, name=self.name)

    # --- writing ----------------------------------------------------------------------------

    def export(self, directory: str | Path) -> list[Path]:
        """Write `<split>.csv` per split (columns task, text, label, and story when present)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        columns = ["task", "text", "label"] + [c for c in ("story",) if c in self.frame.columns]
        written = []
        for split in SPLITS:
            target = directory / f"{split}.csv"
            write_text_atomically(target, self.frame[self.frame.split == split][columns].to_csv(index=False))
            written.append(target)
        return written

    def to_json(self) -> str:
        """The counts as indented JSON (what `python -m mtl_lib data DATASET --json` prints)."""
        return json.dumps(self.counts(), indent=2)


MANY_NUMERIC_LABELS = 20  # more distinct labels than this, all numbers: probably a quantity, not classes


def _warn_numeric_classes(label_names: Mapping[str, Sequence[str]]) -> None:
    """Warn about a classification task whose many labels are all numbers: it was likely meant as regression."""
    for task, labels in label_names.items():
        numeric = pd.to_numeric(pd.Series(list(labels), dtype=object), errors="coerce").notna().all()
        if len(labels) > MANY_NUMERIC_LABELS and numeric:
            warnings.warn(f"task {task!r} has {len(labels)} distinct labels, all numbers: it is a classification "
                          f"task with {len(labels)} classes. If its labels are quantities, name it in "
                          "regression= (on the command line, --regression)", DataWarning, stacklevel=3)


def _validated(frame: pd.DataFrame, label_names: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Check a tidy frame (task, split, text, label, ...) and return a clean copy."""
    frame = frame.reset_index(drop=True).copy()
    if frame.empty:
        raise DataError("the data has no examples")
    frame["text"] = frame.text.str.strip()
    empty = frame.index[frame.text == ""]
    if len(empty):
        raise DataError(f"{len(empty)} examples have an empty text (rows {', '.join(map(str, empty[:5]))}); "
                        "drop them or fill them in")
    unknown_splits = sorted(set(frame.split) - set(SPLITS))
    if unknown_splits:
        raise DataError(f"unknown split names {unknown_splits}; splits must be one of {', '.join(SPLITS)}")
    for task, rows in frame.groupby("task", sort=False):
        if task not in label_names:
            raise DataError(f"no label names given for task {task!r}")
        empty_labels = rows.index[rows.label.str.strip() == ""]
        if len(empty_labels):
            raise DataError(f"task {task!r} has {len(empty_labels)} examples with an empty label (rows "
                            f"{', '.join(map(str, empty_labels[:5]))}); drop them or fill them in")
        Task(task, tuple(label_names[task])).targets(rows.label)  # raises on an unknown label or a non-number
        if not (rows.split == "train").any():
            raise DataError(f"task {task!r} has no training examples")
    return frame
