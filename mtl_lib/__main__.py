"""Command line: `python -m mtl_lib data news --json`, and so on (`--help` lists the commands).

Every `MTLError` is printed as one line, `error: ...`, with exit status 2.
"""

import argparse
import importlib
import json
import os
import sys
import warnings
from pathlib import Path

from mtl_lib.attributions import explain
from mtl_lib.checkpoints import check_run_target, load_run
from mtl_lib.config import is_smoke
from mtl_lib.data import SAMPLERS, SOURCES, SPLITS, MultiTaskData, prepare, tokenize
from mtl_lib.distributed import is_main_process, process_device, process_group, world_size
from mtl_lib.errors import ConfigError, DataError, DataWarning, MTLError
from mtl_lib.evaluation import scores
from mtl_lib.experiment import GLOVE_DIM, load_data, run_data, run_experiment
from mtl_lib.files import write_text_atomically
from mtl_lib.losses import WEIGHTINGS
from mtl_lib.metrics import METRICS
from mtl_lib.models import MODELS, EncoderConfig
from mtl_lib.newsie import build_app
from mtl_lib.newsie.build import ARTICLES, STEPS, WORDS
from mtl_lib.reproduce import (ENCODERS, HELD_OUT, METHODS, PAPER, format_table, load_results, paper_table,
                               reproduce, timing, transfer, transfer_table)
from mtl_lib.training import BATCHINGS, SCHEDULES, TrainConfig
from mtl_lib.widgets import article_document


def command_data(args: argparse.Namespace) -> None:
    """Print a data set's examples per task, split and label, or export its splits as CSV."""
    data = MultiTaskData.load(args.dataset, seed=args.seed, regression=args.regression, **csv_columns(args))
    if args.export:
        for path in data.export(args.export):
            print(f"wrote {path}")
    if args.json:
        print(data.to_json())
    elif not args.export:
        print(data)
        for task, splits in data.counts().items():
            print(f"  {task}: " + ", ".join(f"{split} {sum(labels.values())}" for split, labels in splits.items()))


def command_train(args: argparse.Namespace) -> None:
    """Train one architecture and write metrics.json, history.csv, steps.csv and the checkpoint to --out.

    Under `torchrun --nproc_per_node=N`, N processes train together (`mtl_lib.distributed`), and
    the main one writes the run and prints.
    """
    check_run_target(args.out)
    if args.soft_weight is not None and args.model != "soft":
        raise ConfigError(f"--soft-weight sets the pull between the task encoders of --model soft; this is --model "
                          f"{args.model}: leave it out, or train --model soft")
    state_file = Path(f"{str(args.out).rstrip('/')}.fit-state.pt")  # beside the run: it is written only at the end
    if state_file.exists() and not args.resume:
        raise ConfigError(f"{state_file} holds the state of an interrupted fit into {args.out}: continue it with "
                          "--resume (the same options), or delete it to train from the start")
    with process_group():
        if not is_main_process():
            warnings.simplefilter("ignore", DataWarning)  # the main process warns once for all
        train_and_save(args, state_file)
    state_file.unlink(missing_ok=True)  # the run is saved: nothing left to resume


def train_and_save(args: argparse.Namespace, state_file: Path) -> None:
    dataset = str(Path(args.data).resolve()) if Path(args.data).suffix.lower() == ".csv" else args.data
    provenance = {"dataset": dataset, "split_seed": args.split_seed, "regression": list(args.regression),
                  "columns": csv_columns(args)} | ({} if args.per_split is None else {"per_split": args.per_split})
    data = load_data(provenance)
    provenance["processes"] = world_size()
    encoder = EncoderConfig(kind=args.encoder, embedding_dim=GLOVE_DIM if args.glove else args.embedding_dim,
                            hidden_dim=args.hidden_dim, kernel_sizes=tuple(args.kernel_sizes))
    config = TrainConfig.for_model(
        args.model, epochs=args.epochs, seed=args.seed, batch_size=args.batch_size, learning_rate=args.lr,
        sampler=args.sampler, weighting=args.weighting, max_length=args.max_length, patience=args.patience,
        select_on=args.select_on, progress=not args.quiet, device=args.device or process_device(),
        unlabeled=args.unlabeled, batching=args.batching, tasks_per_step=args.tasks_per_step,
        temperature=args.temperature,
        **{name: value for name, value in (("adversarial_weight", args.adversarial_weight),
                                           ("adversarial_schedule", args.schedule),
                                           ("difference_weight", args.difference_weight)) if value is not None})
    options = {} if args.soft_weight is None else {"soft_weight": args.soft_weight}
    result = run_experiment(data, args.model, encoder, config, glove=args.glove, options=options,
                            provenance=provenance, state_file=state_file)
    if not is_main_process():
        return
    result.save(args.out)
    if args.glove:
        print(f"GloVe 6B 50d covers {result.provenance['glove_coverage']:.1%} of the vocabulary", file=sys.stderr)
    print(json.dumps(result.metrics, indent=2))
    print(f"wrote {args.out}/: model.pt, run.json, vocab.json, metrics.json, history.csv, steps.csv",
          file=sys.stderr)


def command_evaluate(args: argparse.Namespace) -> None:
    """Rebuild the model from its checkpoint, score it again on its data, and print the metrics."""
    run = load_run(args.run)
    data = run_data(run)  # the run's label ids, whatever the data holds now
    prepared = prepare(data, run.vocab, run.train_config.get("max_length"))  # texts cut as in training
    print(json.dumps(scores(run.model, prepared), indent=2))


def command_predict(args: argparse.Namespace) -> None:
    """Print the predicted label of a text and every label's probability; without --task, every head's."""
    if not tokenize(args.text):
        raise DataError("the text has no words to classify; give a headline or an article")
    run = load_run(args.run)
    if args.task is None:
        for task, prediction in run.predict_all([args.text]).iloc[0].drop("text").items():
            print(f"{task}: {prediction:.3f}" if run.is_regression(task) else f"{task}: {prediction}")
        return
    prediction = run.predict(args.task, [args.text]).iloc[0]
    if run.is_regression(args.task):
        print(f"value: {prediction['value']:.3f}")
        return
    print(f"label: {prediction['label']}")
    for label, probability in prediction.drop(["text", "label"]).items():
        print(f"  {label}: {probability:.3f}")


def command_explain(args: argparse.Namespace) -> None:
    """Write the article view of a text (word attributions, shared and private) as an HTML page."""
    run = load_run(args.run)
    max_length = args.max_length or run.train_config.get("max_length")
    attribution = explain(run, args.task, args.text, steps=args.steps, max_length=max_length)
    write_text_atomically(args.html, article_document(attribution))
    probability = attribution.probabilities.get(attribution.predicted)  # None for a regression head
    print(f"value: {attribution.predicted}" if probability is None
          else f"label: {attribution.predicted} (probability {probability:.3f})")
    print(f"  shared words {attribution.shared.sum():+.3f}, private words {attribution.private.sum():+.3f}, "
          f"logit difference {attribution.logit_difference:+.3f}")
    print(f"wrote {args.html}", file=sys.stderr)


def command_newsie(args: argparse.Namespace) -> None:
    """Write the Newsie app of a saved sp or asp run: its articles coloured word by word, shared and private."""
    content = build_app(args.run, args.out, split=args.split, articles=args.articles, steps=args.steps,
                        words=args.words, max_length=args.max_length)
    shown = sum(len(publication["articles"]) for publication in content["publications"])
    print(f"{len(content['publications'])} publications, {shown} {args.split} articles explained "
          f"({args.steps} integration steps each)")
    print(f"wrote {args.out}/: index.html, app.css, app.js, data.js; open {Path(args.out) / 'index.html'} "
          "in a browser, or serve the folder from any static host", file=sys.stderr)


SMOKE_ROWS = 60  # rows per domain and split that `reproduce` trains on in smoke mode


def command_reproduce(args: argparse.Namespace) -> None:
    """Run the paper's table (skipping finished runs), then print it beside the paper's numbers."""
    if not args.table_only:
        data = MultiTaskData.load("fdu-mtl")
        if args.tasks:
            data = data.select(args.tasks)
        if is_smoke():  # MTL_SMOKE=1: a few rows of each domain, for a check that the pipeline runs
            data = data.sample(per_split=SMOKE_ROWS)
        if args.paper == "liu2017":
            reproduce(data, args.methods, args.encoder, args.seeds, args.results, epochs=args.epochs,
                      progress=not args.quiet)
        else:
            for source in args.sources:
                for seed in args.seeds:
                    transfer(data, source, args.encoder, seed, args.results, args.held_out, epochs=args.epochs,
                             progress=not args.quiet)
    if args.paper == "liu2017-transfer":
        print(f"Test error (%) on held-out domains, ours (the paper's); source: {PAPER.replace('Table 2', 'Table 3')}")
        print(transfer_table(args.results, args.encoder).round(1).to_string())
        return
    results = load_results(args.results)
    print(f"Test error (%), mean ± std over seeds, the paper's in brackets; source: {PAPER}")
    print(format_table(paper_table(results, args.encoder), markdown=args.markdown))
    seconds = timing(results).loc[args.encoder]
    print("Wall time per run here: " + ", ".join(f"{method} {row['mean']:.0f} s" for method, row in seconds.iterrows()))


ENVIRONMENT = """\
environment:
  MTL_DATA_MIRROR  read the data archives from this folder, never download (see data/README.md)
  MTL_DATA_DIR     where downloads are cached (default: data/ in the checkout, else ~/.cache/mtl_lib)
  MTL_DEVICE       force a device: cpu, cuda, cuda:1, mps (default: the best available)
  MTL_SMOKE=1      reproduce trains on a few rows per domain, to check the pipeline in seconds
                   (train, evaluate, predict, explain and newsie run as asked)"""

EXAMPLES = """\
examples:
  python -m mtl_lib data news
  python -m mtl_lib train --data news --model asp --encoder cnn --epochs 4 --out runs/asp
  python -m mtl_lib train --data my.csv --text-column headline --label-column topic --task-column site \\
      --model hard --out runs/mine
  python -m mtl_lib predict runs/asp --text "Fed raises rates again"
  python -m mtl_lib explain runs/asp --task Reuters --text "Fed raises rates again" --html view.html
  python -m mtl_lib newsie runs/asp --out newsie
  python -m mtl_lib --import my_methods train --data news --model my_model --weighting my_weighting --out runs/my
  python -m mtl_lib reproduce liu2017 --table-only"""


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Every option's default in its help line; the epilog's layout kept as written."""


def add_csv_arguments(parser: argparse.ArgumentParser) -> None:
    """How a CSV's columns and tasks are read (a built-in data set ignores these)."""
    parser.add_argument("--text-column", default="text", metavar="NAME", help="the CSV column holding the text")
    parser.add_argument("--label-column", default="label", metavar="NAME", help="the CSV column holding the label")
    parser.add_argument("--task-column", default="task", metavar="NAME", help="the CSV column naming the task")
    parser.add_argument("--regression", nargs="+", default=[], metavar="TASK",
                        help="CSV tasks whose labels are numbers: a one-output head, mean squared error, R^2")


def csv_columns(args: argparse.Namespace) -> dict[str, str]:
    return {"text": args.text_column, "label": args.label_column, "task": args.task_column}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mtl_lib", description=__doc__.splitlines()[0],
                                     epilog=f"{ENVIRONMENT}\n\n{EXAMPLES}", formatter_class=HelpFormatter)
    add_import_argument(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_parser(name: str, **kwargs) -> argparse.ArgumentParser:
        return commands.add_parser(name, formatter_class=HelpFormatter, epilog=ENVIRONMENT, **kwargs)

    data = add_parser("data", help="inspect or export a data set")
    data.add_argument("dataset", help=f"a built-in data set ({', '.join(SOURCES)}) or a CSV path")
    data.add_argument("--json", action="store_true", help="print {task: {split: {label: count}}} as JSON")
    data.add_argument("--export", metavar="DIR", help="write DIR/<split>.csv with columns task,text,label")
    data.add_argument("--seed", type=int, default=0, help="seed of the train/dev/test split")
    add_csv_arguments(data)
    data.set_defaults(handler=command_data)

    train = add_parser("train", help="train a model and save its run directory")
    train.add_argument("--data", required=True, help=f"a built-in data set ({', '.join(SOURCES)}) or a CSV path")
    train.add_argument("--model", required=True, choices=MODELS, help="the architecture")
    train.add_argument("--encoder", default="lstm", choices=("bow", "cnn", "lstm"),
                       help="bag of embeddings, CNN or BiLSTM")
    train.add_argument("--epochs", type=int, default=6, help="passes over the training data")
    train.add_argument("--seed", type=int, default=0, help="seed of initialisation and training order")
    train.add_argument("--split-seed", type=int, default=0, help="seed of the train/dev/test split")
    train.add_argument("--per-split", type=int, metavar="N",
                       help="train on at most N examples of each task and split, for a quick try "
                            "(evaluate and newsie read the same ones)")
    add_csv_arguments(train)
    train.add_argument("--out", required=True, metavar="DIR", help="the run directory to write")
    train.add_argument("--resume", action="store_true",
                       help="continue an interrupted fit after its last finished epoch, from DIR.fit-state.pt "
                            "(written after every epoch, removed once the run is saved), with the same options")
    train.add_argument("--batch-size", type=int, default=32, help="examples per batch")
    train.add_argument("--lr", type=float, default=TrainConfig.learning_rate, help="Adam's learning rate")
    train.add_argument("--embedding-dim", type=int, default=64, help="size of the word vectors")
    train.add_argument("--hidden-dim", type=int, default=64, help="size of the encoder's output")
    train.add_argument("--kernel-sizes", type=int, nargs="+", default=list(EncoderConfig.kernel_sizes), metavar="N",
                       help="cnn: the window widths, in words, of its filters")
    train.add_argument("--max-length", type=int, default=64, help="tokens kept per text")
    train.add_argument("--sampler", default="proportional", choices=SAMPLERS,
                       help="how each step picks its task (see mtl_lib.data.batching)")
    train.add_argument("--temperature", type=float, default=TrainConfig.temperature,
                       help="sampler temperature: task t is drawn with probability proportional to n_t^(1/T)")
    train.add_argument("--tasks-per-step", type=int, metavar="N",
                       help="batches (one per drawn task) per optimiser step (default: 1, or 4 for asp); pcgrad "
                            "needs 2 or more")
    train.add_argument("--weighting", default="equal", choices=[w for w in WEIGHTINGS if w != "fixed"],
                       help="how the tasks' losses are weighted (see mtl_lib.losses)")
    train.add_argument("--soft-weight", type=float,
                       help="soft: weight of the penalty on the squared distance between the task encoders' weights "
                            "(default 1e-3)")
    train.add_argument("--adversarial-weight", type=float, help="lambda (asp)")
    train.add_argument("--schedule", choices=SCHEDULES, help="lambda schedule (asp)")
    train.add_argument("--difference-weight", type=float,
                       help="gamma, weight of the mean squared correlation (asp default 1.0)")
    train.add_argument("--unlabeled", action="store_true",
                       help="asp: the discriminator also reads the data set's unlabeled texts (fdu-mtl)")
    train.add_argument("--batching", default="task", choices=BATCHINGS,
                       help="task: each batch one task's examples; text: batches of texts with every label they "
                            "carry, for CSVs whose texts are labelled for several tasks (not asp)")
    train.add_argument("--patience", type=int, help="stop after N epochs without a better dev average")
    train.add_argument("--select-on", default="accuracy", choices=METRICS,
                       help="the dev average that picks the best epoch (macro_f1 for tasks with rare labels)")
    train.add_argument("--glove", action="store_true", help="start from GloVe 6B 50d vectors")
    train.add_argument("--device", help="cpu, cuda or mps (default: the best available)")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.set_defaults(handler=command_train)

    evaluate = add_parser("evaluate", help="score a saved run again from its checkpoint")
    evaluate.add_argument("run", metavar="RUN_DIR", help="a run directory written by train")
    evaluate.set_defaults(handler=command_evaluate)

    predict = add_parser("predict", help="classify one text with a saved run")
    predict.add_argument("run", metavar="RUN_DIR", help="a run directory written by train")
    predict.add_argument("--task", help="which task's head to use (a publication); default: every head")
    predict.add_argument("--text", required=True, help="the headline or article to classify")
    predict.set_defaults(handler=command_predict)

    explain_text = add_parser("explain", help="write the article view of one text as an HTML page")
    explain_text.add_argument("run", metavar="RUN_DIR", help="a saved sp or asp run (hard: shared channel only)")
    explain_text.add_argument("--task", required=True, help="which task's head to use (a publication)")
    explain_text.add_argument("--text", required=True, help="the headline or article to explain")
    explain_text.add_argument("--html", required=True, metavar="FILE", help="the HTML page to write")
    explain_text.add_argument("--steps", type=int, default=32, help="integration steps of integrated gradients")
    explain_text.add_argument("--max-length", type=int, help="tokens read (default: as in training)")
    explain_text.set_defaults(handler=command_explain)

    newsie = add_parser("newsie", help="write the Newsie app: a run's articles coloured word by word, shared and "
                                       "private")
    newsie.add_argument("run", metavar="RUN_DIR", help="a saved sp or asp run, trained by train (which records its data)")
    newsie.add_argument("--out", required=True, metavar="DIR",
                        help="the app folder to write (an existing app folder is replaced as a whole)")
    newsie.add_argument("--split", default="test", choices=SPLITS, help="whose articles the app shows")
    newsie.add_argument("--articles", type=int, default=ARTICLES, metavar="N",
                        help="articles per publication, the first of the split")
    newsie.add_argument("--steps", type=int, default=STEPS, help="integration steps of integrated gradients")
    newsie.add_argument("--words", type=int, default=WORDS, metavar="N",
                        help="words in each list of the most shared and the most publication-specific words")
    newsie.add_argument("--max-length", type=int, help="tokens read (default: as in training)")
    newsie.set_defaults(handler=command_newsie)

    paper = add_parser("reproduce", help="reproduce a paper's table: runs, stored results, the table")
    paper.add_argument("paper", choices=("liu2017", "liu2017-transfer"),
                       help="liu2017: Liu, Qiu & Huang (2017), Table 2, on fdu-mtl; liu2017-transfer: its Table 3")
    paper.add_argument("--encoder", default="cnn", choices=ENCODERS,
                       help="cnn (as the strongest public re-implementations) or lstm (a BiLSTM, as the paper)")
    paper.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS, metavar="METHOD",
                       help=f"any of {', '.join(METHODS)} (default: all)")
    paper.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], metavar="SEED", help="one run per seed")
    paper.add_argument("--tasks", nargs="+", metavar="TASK", help="a subset of the 16 domains (default: all)")
    paper.add_argument("--sources", nargs="+", default=["sp", "asp"], choices=("sp", "asp"), metavar="METHOD",
                       help="liu2017-transfer: whose shared layer is transferred (default: sp asp)")
    paper.add_argument("--held-out", nargs="+", default=list(HELD_OUT), metavar="TASK",
                       help=f"liu2017-transfer: the domains held out (default: {' '.join(HELD_OUT)})")
    paper.add_argument("--epochs", type=int, help="override the recipe's number of epochs (8)")
    paper.add_argument("--results", default="benchmarks/results/liu2017", metavar="DIR",
                       help="where each run's record is written, and read back on a rerun")
    paper.add_argument("--table-only", action="store_true", help="train nothing: print the table of DIR")
    paper.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    paper.add_argument("--quiet", action="store_true", help="no progress bars")
    paper.set_defaults(handler=command_reproduce)
    return parser


def one_line_warning(message, category, filename, lineno, line=None) -> str:
    """Warnings on the command line read like its errors: `warning: ...`, one line, no source location."""
    return f"warning: {message}\n"


def add_import_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                        help="import MODULE first (repeatable, before COMMAND): a module of yours that registers "
                             "a model or a weighting (mtl_lib.models.MODELS, mtl_lib.losses.WEIGHTINGS) makes its "
                             "name one that --model and --weighting accept, and runs of it loadable")


def import_modules(argv: list[str] | None) -> None:
    """Import the modules that `--import` names, before the parser lists the registered names."""
    finder = argparse.ArgumentParser(add_help=False)
    add_import_argument(finder)
    modules = finder.parse_known_args(argv)[0].imports
    if modules and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # a module in the current folder, as `python -m` finds one
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ConfigError(f"--import {module}: {exc}. Name a module in the current folder or an installed one, "
                              "as Python imports it (my_methods for my_methods.py)") from exc


def main(argv: list[str] | None = None) -> int:
    warnings.formatwarning = one_line_warning
    try:
        import_modules(argv)
        args = build_parser().parse_args(argv)
        args.handler(args)
    except MTLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing half-written was left (a run folder is saved whole or not at all); "
              "train continues after its last finished epoch with --resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
