"""Transfer from CNN source models over seeds: the data-efficiency grid that chapter 06 reads.

    python benchmarks/transfer_news.py [--out benchmarks/results/transfer]

Chapter 06 asks whether the shared layer of an adversarial model (ASP-MTL) transfers
better than that of a plain shared-private one (SP-MTL). Only an encoder with weights of
its own can keep shared and private features apart, so the source models here use chapter
04's CNN (`shared_private_news.ENCODER`, same recipe), trained on the four publications other
than the Huffington Post. For each seed, three source models (hard, sp, asp) are trained
with that seed, and every way of learning a new task (from scratch, single channel,
bi-channel; `mtl_lib.transfer.data_efficiency`) is trained with the same seed on fractions
of two targets: the Huffington Post (the same four categories) and BBC (a new label set).
Seeds thus repeat the source training and the target training together, so SP and ASP can
be compared over seeds, paired.

One seed takes about three CPU minutes (fifteen for the five seeds), so the chapter reads the
results. They are computed with one thread, which any machine can repeat. Each
seed is written as one folder, `seed-N/` (sources.csv: the source models' tidy scores;
`<target>.csv`: the `data_efficiency` rows; summary.json: CPU seconds and the arithmetic, threads
included, that a chapter's live check must share to expect the same bits), whole or not at all;
a seed whose folder exists is not trained again, so an interrupted run resumes.
"""

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from mtl_lib import MultiTaskData, TrainConfig, build_vocab, run_experiment
from mtl_lib.experiment import tidy
from mtl_lib.files import atomic_directory
from mtl_lib.stored_runs import arithmetic, torch_threads
from mtl_lib.transfer import data_efficiency
from shared_private_news import ENCODER, SETTINGS

HELD_OUT = "Huffington Post"
SOURCES = ("hard", "sp", "asp")
SEEDS = (0, 1, 2, 3, 4)
FRACTIONS = (0.05, 0.1, 0.3, 1.0)
THREADS = 1  # the arithmetic a chapter repeats on any machine, whatever its number of cores
MIN_STEPS = 60  # a small subsample gets more epochs, enough for this many optimiser steps
TARGET_CONFIG = TrainConfig(epochs=6, batch_size=64, learning_rate=1e-2, patience=5, max_length=64, progress=False)
TARGETS = {"huffington_post": TARGET_CONFIG, "bbc": replace(TARGET_CONFIG, max_length=128)}  # file stem: config


def targets(news: MultiTaskData) -> dict[str, MultiTaskData]:
    """The two new tasks by file stem: the held-out publication and BBC."""
    return {"huffington_post": news.select([HELD_OUT]), "bbc": MultiTaskData.load("bbc")}


def source_data(news: MultiTaskData) -> MultiTaskData:
    """The four publications the source models learn from."""
    return news.select([task for task in news.task_names if task != HELD_OUT])


def source_config(architecture: str, seed: int) -> TrainConfig:
    """Chapter 04's recipe for one source architecture and seed."""
    return TrainConfig.for_model(architecture, **SETTINGS, seed=seed)


def run_seed(news: MultiTaskData, seed: int, out: Path) -> None:
    """Train the three source models of one seed, transfer them to both targets, store the folder whole."""
    began = time.process_time()
    sources = source_data(news)
    vocab = build_vocab(sources)
    experiments = {architecture: run_experiment(sources, architecture, ENCODER, source_config(architecture, seed),
                                                vocab=vocab)
                   for architecture in SOURCES}
    models = {architecture: experiment.model for architecture, experiment in experiments.items()}
    curves = {stem: data_efficiency(models, target, vocab, ENCODER, FRACTIONS, [seed], TARGETS[stem], MIN_STEPS)
              for stem, target in targets(news).items()}
    with atomic_directory(out / f"seed-{seed}", replaceable=lambda path: False) as partial:
        pd.concat([tidy(experiment.metrics, source=architecture, seed=seed)
                   for architecture, experiment in experiments.items()]).to_csv(partial / "sources.csv", index=False)
        for stem, rows in curves.items():
            rows.to_csv(partial / f"{stem}.csv", index=False)
        (partial / "summary.json").write_text(json.dumps({"cpu_seconds": time.process_time() - began,
                                                          "arithmetic": arithmetic()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "transfer")
    args = parser.parse_args()
    news = MultiTaskData.load("news")
    for seed in SEEDS:
        if (args.out / f"seed-{seed}").is_dir():
            print(f"seed {seed}: stored already", flush=True)
            continue
        with torch_threads(THREADS):
            run_seed(news, seed, args.out)
        print(f"seed {seed}: trained", flush=True)
    for stem in TARGETS:
        rows = pd.concat([pd.read_csv(args.out / f"seed-{seed}" / f"{stem}.csv") for seed in SEEDS])
        table = rows.groupby(["method", "source", "fraction"]).accuracy.agg(["mean", "std"]).unstack("fraction")
        print(f"\n{stem}: test accuracy over seeds {list(SEEDS)}\n{table.round(3).to_string()}")


if __name__ == "__main__":
    main()
