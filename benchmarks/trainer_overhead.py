"""How much the Trainer costs over a bare PyTorch loop, on the same prebuilt batches and model.

    python benchmarks/trainer_overhead.py [--steps 300] [--encoder lstm]

Prints steps per second of both and their ratio (the target is at least 0.9).
Batches are built once beforehand, so both loops time only the training steps:
forward, losses, backward, optimiser, and the Trainer's logging.
"""

import argparse
import copy
import time

import torch
import torch.nn.functional as F

from mtl_lib import EncoderConfig, MultiTaskData, TrainConfig, Trainer, build_model, build_vocab
from mtl_lib.config import seed_everything
from mtl_lib.data import MultiTaskBatches, make_sampler, task_loader


def bare_loop(model, pairs, learning_rate: float) -> float:
    """Steps per second of the plainest correct loop: forward, cross entropy, backward, step."""
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    model.train()
    start = time.perf_counter()
    for task, batch in pairs:
        loss = F.cross_entropy(model(batch.tokens, batch.lengths, task).logits, batch.labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
    return len(pairs) / (time.perf_counter() - start)


def trainer_loop(trainer: Trainer, pairs) -> float:
    """Steps per second of `Trainer.train_step` over the same pairs."""
    trainer.model.train()
    start = time.perf_counter()
    for step, pair in enumerate(pairs):
        trainer.train_step([pair], progress=step / len(pairs))
    return len(pairs) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--encoder", default="lstm", choices=("bow", "cnn", "lstm"))
    parser.add_argument("--model", default="hard")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    news = MultiTaskData.load("news")
    vocab = build_vocab(news)
    config = TrainConfig(progress=False, device="cpu")
    seed_everything(0)
    reference = build_model(args.model, len(vocab), {n: t.num_labels for n, t in news.tasks.items()},
                            EncoderConfig(kind=args.encoder))
    trainer = Trainer(copy.deepcopy(reference), config.prepare(news, vocab), config)
    loaders = {task: task_loader(dataset, config.batch_size, shuffle=True)
               for task, dataset in trainer.data.splits["train"].items()}
    pairs = list(MultiTaskBatches(loaders, make_sampler("proportional"), num_steps=args.steps))

    bare, ours = [], []
    for _ in range(args.repeats):  # interleaved, so drifts in machine load hit both alike
        bare.append(bare_loop(copy.deepcopy(reference), pairs, config.learning_rate))
        trainer.model.load_state_dict(reference.state_dict())
        ours.append(trainer_loop(trainer, pairs))
    print(f"model {args.model}, encoder {args.encoder}, {args.steps} steps, batch {config.batch_size}, "
          f"{torch.get_num_threads()} threads, best of {args.repeats}")
    print(f"bare loop : {max(bare):7.1f} steps/s")
    print(f"Trainer   : {max(ours):7.1f} steps/s")
    print(f"ratio     : {max(ours) / max(bare):.3f} (target >= 0.9)")


if __name__ == "__main__":
    main()
