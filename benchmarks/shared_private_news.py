"""Shared-private models with encoders that can keep shared and private apart: CNN runs of chapter 04's design.

    python benchmarks/shared_private_news.py [--out benchmarks/results/shared_private]

A shared-private model needs encoders with weights of their own, and on two CPU cores the
CNN runs of chapter 04's design (four architectures times three seeds, and a study of lambda
and the difference loss on seed 0) take about ten minutes, three times that chapter's budget.
This script trains them and stores each run in `NAME/seed-N/` (`mtl_lib.stored_runs`: scores,
step log, the fresh probe's accuracy on the shared features, CPU seconds). Each folder is
written whole or not at all, and a run whose folder exists is not trained again, so an
interrupted benchmark resumes where it stopped. It prints, per run, the average test
accuracy, the probe's accuracy and the discriminator's accuracy over the last epoch.
"""

import argparse
import time
from dataclasses import replace
from pathlib import Path

from mtl_lib import EncoderConfig, MultiTaskData, TrainConfig, build_vocab, run_experiment
from mtl_lib.analysis import probe_task_leakage
from mtl_lib.stored_runs import StoredRun, read_stored_run, store_run, stored_run_folder

ENCODER = EncoderConfig(kind="cnn", kernel_sizes=(1, 2))  # learned word and word-pair detectors
SETTINGS = {"epochs": 4, "batch_size": 64, "learning_rate": 1e-2, "progress": False}
SEEDS = (0, 1, 2)
ASP = TrainConfig.for_model("asp", **SETTINGS)
ARCHITECTURES = {  # run name: (architecture, config), every seed
    "single-task": ("single", TrainConfig(**SETTINGS)),
    "hard sharing": ("hard", TrainConfig(**SETTINGS)),
    "SP-MTL": ("sp", TrainConfig(**SETTINGS)),
    "ASP-MTL": ("asp", ASP),
}
STUDY = {  # run name: ASP-MTL config, seed 0 only
    "lambda 1, constant": replace(ASP, adversarial_weight=1.0),
    "lambda 1, Ganin schedule": replace(ASP, adversarial_weight=1.0, adversarial_schedule="ganin"),
    "lambda 0.05, no difference loss": replace(ASP, difference_weight=0.0),
    "lambda 0, no difference loss": replace(ASP, adversarial_weight=0.0, difference_weight=0.0),
}


def train_and_store(data: MultiTaskData, vocab, name: str, architecture: str, config: TrainConfig,
                    out: Path) -> None:
    """Train one run and store its folder as a whole."""
    began = time.process_time()
    run = run_experiment(data, architecture, ENCODER, config, vocab=vocab)
    probe = probe_task_leakage(run.model, data, vocab) if architecture != "single" else None
    store_run(out, name, run, probe, time.process_time() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "shared_private")
    args = parser.parse_args()
    data = MultiTaskData.load("news")
    vocab = build_vocab(data)
    plan = [(name, architecture, replace(config, seed=seed))
            for seed in SEEDS for name, (architecture, config) in ARCHITECTURES.items()]
    plan += [(name, "asp", replace(config, seed=0)) for name, config in STUDY.items()]
    for name, architecture, config in plan:
        if stored_run_folder(args.out, name, config.seed).is_dir():
            print(f"{name}, seed {config.seed}: stored already", flush=True)
            continue
        train_and_store(data, vocab, name, architecture, config, args.out)
        print(f"{name}, seed {config.seed}: trained", flush=True)
    for name, _, config in plan:
        print(summary_line(read_stored_run(args.out, name, config.seed), name, config.seed))


def summary_line(run: StoredRun, name: str, seed: int) -> str:
    """One run as a line: average test accuracy, probe accuracy, the discriminator's last-epoch accuracy."""
    test = run.scores[(run.scores.split == "test") & (run.scores.task == "average")].accuracy.item()
    line = f"{name:34s} seed {seed}: test accuracy {test:.4f}"
    if run.probe_accuracy is not None:
        line += f", probe {run.probe_accuracy:.3f}"
    if run.steps.discriminator_accuracy.notna().any():
        last = run.steps[run.steps.epoch == run.steps.epoch.max()]
        line += f", discriminator (last epoch) {last.discriminator_accuracy.mean():.3f}"
    return line


if __name__ == "__main__":
    main()
