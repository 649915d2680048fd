"""Negative transfer: hard sharing with one more task, on the news tasks' loss scale or on another.

    python benchmarks/negative_transfer_news.py [--out benchmarks/results/negative_transfer]

Chapter 02's hard-sharing model (bag of embeddings, 8 epochs, batches of 64, learning rate
1e-2) is trained on the five publications alone, and with one more task that shares its
embedding and has training rows only (trained on, never scored or selected on):

- the headline's length in characters, a regression task whose squared error starts in the thousands;
- the same length standardised (`mtl_lib.data.length`), the same target on the news tasks' scale;
- the sentiment of FDU-MTL's 31,779 reviews, an unrelated task of the usual scale, read with the
  news vocabulary.

Three seeds each, twelve runs, about three CPU minutes; one thread, which any machine can
repeat. Each run is stored with `mtl_lib.stored_runs` in `NAME/seed-N/`, whole or not at all,
and a run whose folder exists is not trained again. It prints each run's average test accuracy
over the five publications. Chapter 02 reads the runs and trains one again.
"""

import argparse
import time
from pathlib import Path

from mtl_lib import EncoderConfig, MultiTaskData, TrainConfig, build_vocab, run_experiment
from mtl_lib.data.length import with_length_task
from mtl_lib.stored_runs import read_stored_run, store_run, stored_run_folder, torch_threads

ENCODER = EncoderConfig(kind="bow")
SETTINGS = {"epochs": 8, "batch_size": 64, "learning_rate": 1e-2, "progress": False}  # chapter 02's
SEEDS = (0, 1, 2)
THREADS = 1  # the arithmetic a chapter repeats on any machine, whatever its number of cores


def with_reviews(news: MultiTaskData) -> MultiTaskData:
    """The news plus one sentiment task: every FDU-MTL review, all of them training rows."""
    reviews = MultiTaskData.load("fdu-mtl").frame.assign(split="train")[["text", "label", "split"]]
    return news.with_task("reviews", reviews, ["negative", "positive"])


def variants(news: MultiTaskData) -> dict[str, MultiTaskData]:
    """Run name: the data it trains on."""
    return {"news only": news,
            "with length": with_length_task(news),
            "with standardised length": with_length_task(news, standardised=True),
            "with reviews": with_reviews(news)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "negative_transfer")
    args = parser.parse_args()
    news = MultiTaskData.load("news")
    vocab = build_vocab(news)  # the news headlines' words, whatever task is added
    for name, data in variants(news).items():
        for seed in SEEDS:
            if not stored_run_folder(args.out, name, seed).is_dir():
                began = time.process_time()
                with torch_threads(THREADS):
                    run = run_experiment(data, "hard", ENCODER, TrainConfig(**SETTINGS, seed=seed), vocab=vocab)
                store_run(args.out, name, run, None, time.process_time() - began)
            scores = read_stored_run(args.out, name, seed).scores
            average = scores[(scores.split == "test") & (scores.task == "average")].accuracy.item()
            print(f"{name:26s} seed {seed}: test accuracy over the five publications {average:.4f}", flush=True)


if __name__ == "__main__":
    main()
