"""torchrun with two CPU processes (gloo, over loopback): one model trained together, written once."""

import json
import socket
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
import torch

from mtl_lib import load_run
from mtl_lib.training import DISCRIMINATOR_TASKS_PER_STEP

# Each process trains through the library and saves what it holds: its weights (the model's and
# the uncertainty weighting's) and the texts of its shard, so the test can compare the processes.
TRAIN_AND_DUMP = """
    import sys, torch
    import torch.distributed as dist
    from mtl_lib import EncoderConfig, MultiTaskData, TrainConfig, Trainer, build_model, build_vocab
    from mtl_lib.distributed import process_group, rank

    with process_group():
        data = MultiTaskData.load("news").sample(per_split=60, seed=0)
        vocab = build_vocab(data)
        torch.manual_seed(0)
        model = build_model("hard", len(vocab), {task: len(data.tasks[task].label_names) for task in data.task_names},
                            EncoderConfig(kind="bow", embedding_dim=16, hidden_dim=16))
        config = TrainConfig(epochs=2, batch_size=8, weighting="uncertainty", progress=False)
        trainer = Trainer(model, config.prepare(data, vocab), config)
        trainer.fit()
        torch.save({"weights": trainer.model.state_dict(), "weighting": trainer.weighting.state_dict(),
                    "shard": {task: dataset.token_ids for task, dataset in trainer.train_datasets.items()},
                    "steps": len(trainer.step_log)}, f"{sys.argv[1]}/rank{rank()}.pt")
"""


def torchrun(*args: str, cwd) -> subprocess.CompletedProcess:
    """`torchrun --nproc_per_node=2 ARGS` on loopback only, on a free port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
                           "--master_addr=127.0.0.1", f"--master_port={port}", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def test_two_processes_train_one_model_and_the_main_one_writes_the_run(tmp_path):
    done = torchrun("-m", "mtl_lib", "train", "--data", "news", "--model", "asp", "--encoder", "bow",
                    "--embedding-dim", "16", "--epochs", "1", "--per-split", "80", "--quiet", "--out", "run",
                    cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count('"average"') == 1  # the metrics, printed once
    assert done.stderr.count("wrote run/") == 1
    run = load_run(tmp_path / "run")
    assert run.spec.architecture == "asp" and run.train_config["data"]["processes"] == 2
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert set(metrics["tasks"]) == set(run.spec.label_names)
    # each process read 40 of each task's 80 training rows, in 2 batches of up to 32: 10 batches, grouped per step
    assert len(pd.read_csv(tmp_path / "run" / "steps.csv")) == 10 // DISCRIMINATOR_TASKS_PER_STEP


def test_the_processes_hold_the_same_weights_after_training_on_different_shards(tmp_path):
    (tmp_path / "train_and_dump.py").write_text(textwrap.dedent(TRAIN_AND_DUMP))
    done = torchrun("train_and_dump.py", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    first, second = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    for name, value in first["weights"].items():
        assert torch.equal(value, second["weights"][name]), name  # DDP averaged every step's gradients
    assert torch.equal(first["weighting"]["log_variances"], second["weighting"]["log_variances"])
    assert first["weighting"]["log_variances"].abs().sum() > 0  # and the weighting did learn
    for task, texts in first["shard"].items():
        assert len(texts) == 30 and len(second["shard"][task]) == 30  # 60 training rows, halved
        assert texts != second["shard"][task]  # each process read its own half
    assert first["steps"] == second["steps"] == 2 * 5 * 4  # 2 epochs, 5 tasks of 30 rows in batches of 8


@pytest.mark.parametrize("option, refused", [(("--weighting", "pcgrad", "--tasks-per-step", "5"), "the PCGrad weighting takes its own backward"),
                                             (("--batching", "text"), "batching='text' runs in one process")])
def test_what_ddp_cannot_run_is_refused_before_training(tmp_path, option, refused):
    arguments = ["--data", "news", "--model", "hard", "--encoder", "bow", "--per-split", "40", "--quiet"]
    done = torchrun("-m", "mtl_lib", "train", *arguments, *option, "--out", "run", cwd=tmp_path)
    assert done.returncode != 0 and f"error: {refused}" in done.stderr
    assert "mtl_lib/" not in done.stderr  # one line from each process, no traceback of ours (torchrun adds its own)
    assert not (tmp_path / "run").exists()
