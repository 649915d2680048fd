"""Test accuracy on the five news publications, every method, several seeds (mean +- std).

    python benchmarks/accuracy_news.py [--seeds 0 1 2] [--encoder lstm] [--epochs 6] [--lr 3e-3] [--methods ...]

Prints one table of test accuracy per publication and on average, and one
of how much each shared representation still tells the publication apart: the
training discriminator's accuracy in the last epoch (ASP only) and a fresh linear
probe trained afterwards on the frozen shared features, beside chance and what the
category alone reveals. `--methods` runs some of the methods only (the baselines always run).
"""

import argparse
import time

import numpy as np
import pandas as pd

from mtl_lib import EncoderConfig, MultiTaskData, TrainConfig, run_experiment
from mtl_lib.analysis import category_reveals_task, probe_task_leakage
from mtl_lib.baselines import majority_class, tfidf_logistic_regression

NEURAL = {  # label: (architecture, TrainConfig overrides)
    "single": ("single", {}),
    "hard": ("hard", {}),
    "sp": ("sp", {}),
    "asp λ=0.05": ("asp", {"adversarial_weight": 0.05}),
    "asp λ=1 ganin": ("asp", {"adversarial_weight": 1.0, "adversarial_schedule": "ganin"}),
}


def mean_std(values: list[float]) -> str:
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--encoder", default="lstm", choices=("bow", "cnn", "lstm"))
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--lr", type=float, default=TrainConfig.learning_rate, help="learning rate")
    parser.add_argument("--methods", nargs="+", default=list(NEURAL), choices=list(NEURAL), metavar="METHOD",
                        help=f"neural methods to run, of: {', '.join(NEURAL)}")
    args = parser.parse_args()

    news = MultiTaskData.load("news")
    accuracy = {}  # (method, seed) -> {task: test accuracy}
    leakage = []  # rows: method, seed, discriminator, probe
    started = time.perf_counter()
    for seed in args.seeds:
        accuracy["majority", seed] = {t: s["accuracy"] for t, s in majority_class(news).items()}
        accuracy["tf-idf + LR", seed] = {t: s["accuracy"] for t, s in tfidf_logistic_regression(news).items()}
        for label in args.methods:
            architecture, overrides = NEURAL[label]
            config = TrainConfig.for_model(architecture, epochs=args.epochs, seed=seed, learning_rate=args.lr,
                                           progress=False, **overrides)
            result = run_experiment(news, architecture, EncoderConfig(kind=args.encoder), config)
            accuracy[label, seed] = {t: s["test"]["accuracy"] for t, s in result.metrics["tasks"].items()}
            chance = result.trainer.discriminator_chance  # the sampler's prior: always naming the likeliest task
            if result.model.discriminator is not None or architecture in ("hard", "sp"):
                history = result.trainer.history
                leakage.append({"method": label, "seed": seed,
                                "discriminator": history.discriminator_accuracy.iloc[-1],
                                "probe": probe_task_leakage(result.model, news, result.vocab, seed=seed)})
            print(f"seed {seed} {label}: {np.mean(list(accuracy[label, seed].values())):.3f} "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)

    methods = list(dict.fromkeys(method for method, _ in accuracy))
    table = pd.DataFrame({method: {task: mean_std([accuracy[method, s][task] for s in args.seeds])
                                   for task in news.task_names}
                          | {"average": mean_std([np.mean(list(accuracy[method, s].values())) for s in args.seeds])}
                          for method in methods}).T
    print(f"\nTest accuracy, {args.encoder} encoder, {args.epochs} epochs, learning rate {args.lr}, "
          f"seeds {args.seeds} (mean ± std)\n")
    print(table.to_string())

    probes = pd.DataFrame(leakage).groupby("method", sort=False).agg(list)
    print("\nHow well the publication can be read off the shared features (test split)\n")
    print(pd.DataFrame({"discriminator (last epoch, train)": probes.discriminator.map(
                            lambda v: "n/a" if np.isnan(v).all() else mean_std(v)),
                        "fresh linear probe": probes.probe.map(mean_std)}).to_string())
    test_share = max(len(news.examples(task, "test")) for task in news.task_names) / (news.frame.split == "test").sum()
    print(f"\nchance: the discriminator's (the sampler's prior, always naming the likeliest task) {chance:.3f}, "
          f"the probe's (always naming the largest task of the test split) {test_share:.3f}; "
          f"the category alone: {category_reveals_task(news):.3f}")
    print(f"total time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
