"""The Trainer on a small slice of the news data: every architecture, seeds, early stopping, errors."""

import math
from dataclasses import replace

import pandas as pd
import pytest
import torch

from mtl_lib import EncoderConfig, MultiTaskData, TrainConfig, Trainer, build_model, build_vocab, run_experiment
from mtl_lib.errors import ConfigError, DataError, DataWarning, UnknownTaskError
from mtl_lib.evaluation import evaluate, predictions, scores
from mtl_lib.experiment import repeat_experiment, summarize
from mtl_lib.models import MODELS
from mtl_lib.training import DISCRIMINATOR_TASKS_PER_STEP

SMALL = EncoderConfig(kind="bow", embedding_dim=16, hidden_dim=16)


@pytest.fixture(scope="module")
def small_news(news):
    return news.sample(per_split=80, seed=0)


def quick(**overrides) -> TrainConfig:
    return TrainConfig(**({"epochs": 2, "batch_size": 16, "progress": False} | overrides))


@pytest.mark.parametrize("architecture", MODELS)
def test_every_architecture_trains_and_reports_every_task(small_news, architecture):
    result = run_experiment(small_news, architecture, SMALL, TrainConfig.for_model(architecture, epochs=1,
                                                                                   progress=False))
    assert set(result.metrics["tasks"]) == set(small_news.task_names)
    assert 0 <= result.metrics["average"]["test"]["accuracy"] <= 1
    assert len(result.trainer.step_log) > 0 and result.trainer.step_log.loss.notna().all()


def test_same_seed_same_numbers_other_seed_other_numbers(small_news):
    first = run_experiment(small_news, "hard", SMALL, quick(seed=3))
    again = run_experiment(small_news, "hard", SMALL, quick(seed=3))
    other = run_experiment(small_news, "hard", SMALL, quick(seed=4))
    assert first.metrics == again.metrics
    pd.testing.assert_frame_equal(first.trainer.step_log, again.trainer.step_log)
    assert not first.trainer.step_log.loss.equals(other.trainer.step_log.loss)


def test_the_best_dev_epoch_is_restored(small_news):
    result = run_experiment(small_news, "hard", SMALL, quick(epochs=4))
    history = result.trainer.history
    assert result.metrics["average"]["dev"]["accuracy"] == pytest.approx(history.dev_accuracy.max())
    assert history.best.sum() == 1


def test_patience_stops_early(small_news):
    result = run_experiment(small_news, "hard", SMALL, quick(epochs=30, patience=1, learning_rate=1e-5))
    assert len(result.trainer.history) < 30


def test_asp_logs_every_loss_term_and_the_discriminator(small_news):
    result = run_experiment(small_news, "asp", SMALL, TrainConfig.for_model("asp", epochs=2, progress=False))
    steps = result.trainer.step_log
    for column in ("task_loss", "adversarial_loss", "difference_loss", "discriminator_accuracy", "reversal_scale"):
        assert steps[column].notna().all(), column
    history = result.trainer.history
    sizes = {task: len(small_news.examples(task, "train")) for task in small_news.task_names}
    largest_share = max(sizes.values()) / sum(sizes.values())  # always naming the largest task scores this
    assert history.discriminator_chance.iloc[0] == pytest.approx(largest_share)
    assert result.trainer.discriminator_chance == pytest.approx(largest_share)
    assert history.discriminator_accuracy.between(0, 1).all()


def test_the_chance_line_is_the_samplers_prior(small_news):
    uniform = run_experiment(small_news, "asp", SMALL, TrainConfig.for_model("asp", epochs=1, sampler="uniform",
                                                                             progress=False))
    assert uniform.trainer.history.discriminator_chance.iloc[0] == pytest.approx(1 / 5)


def test_a_discriminator_sees_several_tasks_in_each_step(small_news):
    asp = run_experiment(small_news, "asp", SMALL, TrainConfig.for_model("asp", epochs=2, progress=False))
    assert asp.trainer.config.tasks_per_step == DISCRIMINATOR_TASKS_PER_STEP > 1
    tasks_of_step = asp.trainer.step_log.task.str.split(",")
    assert tasks_of_step.map(len).le(DISCRIMINATOR_TASKS_PER_STEP).all()  # a task drawn twice is listed once
    assert tasks_of_step.map(len).mean() > 1.5  # most steps mix tasks: the discriminator's targets differ
    hard = run_experiment(small_news, "hard", SMALL, quick(epochs=1))
    assert hard.trainer.config.tasks_per_step == 1 and not hard.trainer.step_log.task.str.contains(",").any()


def test_ganin_schedule_grows_the_reversal_scale_from_zero(small_news):
    config = TrainConfig.for_model("asp", epochs=2, adversarial_weight=0.5, adversarial_schedule="ganin",
                                   progress=False)
    scale = run_experiment(small_news, "asp", SMALL, config).trainer.step_log.reversal_scale
    assert scale.iloc[0] == 0.0 and scale.is_monotonic_increasing and 0.4 < scale.iloc[-1] <= 0.5


def test_models_without_a_discriminator_log_no_adversarial_terms(small_news):
    steps = run_experiment(small_news, "sp", SMALL, quick(epochs=1)).trainer.step_log
    assert steps.adversarial_loss.isna().all() and steps.discriminator_accuracy.isna().all()


def test_uncertainty_weights_are_learned_and_logged(small_news):
    history = run_experiment(small_news, "hard", SMALL, quick(weighting="uncertainty", epochs=3)).trainer.history
    weights = history.filter(like="weight/")
    assert weights.shape[1] == 5 and (weights.iloc[-1] != 1.0).all()


def test_pcgrad_with_several_tasks_per_step(small_news):
    result = run_experiment(small_news, "hard", SMALL, quick(weighting="pcgrad", tasks_per_step=5,
                                                             sampler="round_robin", epochs=1))
    assert result.trainer.step_log.task.str.count(",").eq(4).all()


def test_a_task_the_model_does_not_have_is_named(small_news):
    vocab = build_vocab(small_news)
    model = build_model("hard", len(vocab), {"Reuters": 4})
    with pytest.raises(UnknownTaskError, match="the data has task 'Huffington Post' but the model does not"):
        Trainer(model, quick().prepare(small_news, vocab), quick())


def test_label_ids_out_of_range_are_refused(small_news):
    vocab = build_vocab(small_news)
    model = build_model("hard", len(vocab), {task: 2 for task in small_news.task_names})
    with pytest.raises(ConfigError, match=r"has label id 3 .* head for it has 2 outputs"):
        Trainer(model, quick().prepare(small_news, vocab), quick())


def test_unknown_model_and_bad_config_fields_are_named():
    with pytest.raises(ConfigError, match="unknown model 'deep'; models are: single, hard, soft, sp, asp"):
        build_model("deep", 100, {"a": 2})
    with pytest.raises(ConfigError, match="TrainConfig.sampler is 'random'"):
        TrainConfig(sampler="random")
    with pytest.raises(ConfigError, match="TrainConfig.epochs must be an integer >= 1"):
        TrainConfig(epochs=0)


def test_training_improves_on_the_first_step(small_news):
    steps = run_experiment(small_news, "hard", SMALL, quick(epochs=3, learning_rate=5e-3)).trainer.step_log
    first, last = steps.task_loss.head(10).mean(), steps.task_loss.tail(10).mean()
    assert last < first and not math.isnan(last)


def test_trainer_runs_on_an_explicit_device(small_news):
    result = run_experiment(small_news, "sp", SMALL, quick(epochs=1, device="cpu"))
    assert next(result.model.parameters()).device == torch.device("cpu")


def test_repeat_experiment_gives_long_rows_and_summarize_means_and_spreads(small_news):
    table = repeat_experiment(small_news, "hard", [0, 1], SMALL, quick(epochs=1), method="shared")
    assert set(table.seed) == {0, 1} and set(table.method) == {"shared"}
    assert len(table) == 2 * (5 + 1) * 2  # seeds x (tasks + average) x splits
    summary = summarize(table[table.split == "test"])
    reuters = table[(table.task == "Reuters") & (table.split == "test")].accuracy
    assert summary.loc["shared", ("Reuters", "mean")] == pytest.approx(reuters.mean())
    assert summary.loc["shared", ("Reuters", "std")] == pytest.approx(reuters.std())
    assert list(summary.columns.get_level_values(0).unique())[-1] == "average"


def test_glove_initialisation_reports_its_coverage(small_news):
    encoder = EncoderConfig(kind="bow", embedding_dim=50)
    result = run_experiment(small_news, "hard", encoder, quick(epochs=1), glove=True)
    assert 0.8 < result.provenance["glove_coverage"] <= 1.0


def data_with_unlabeled_texts() -> MultiTaskData:
    """Two tasks whose labelled texts are the same (the task cannot be read off them), and
    unlabeled texts that differ by task: "x x x" for a, "y y y" for b."""
    labelled = [("x y good", "pos"), ("x y bad", "neg"), ("y x good film", "pos"), ("x y bad film", "neg")]
    splits = ["train", "train", "train", "dev", "test"]
    frame = pd.DataFrame([{"task": task, "text": text, "label": label, "split": splits[i % 5]}
                          for task in ("a", "b") for i in range(20) for text, label in labelled])
    unlabeled = pd.DataFrame({"task": ["a"] * 50 + ["b"] * 50, "text": ["x x x"] * 50 + ["y y y"] * 50})
    labelled_only = MultiTaskData.from_frame(frame)
    return MultiTaskData(labelled_only.frame, labelled_only.label_names, unlabeled)


@pytest.mark.parametrize("unlabeled", [True, False])
def test_unlabeled_texts_teach_the_discriminator_their_task(unlabeled):
    data = data_with_unlabeled_texts()
    vocab = build_vocab(data)
    torch.manual_seed(0)
    model = build_model("asp", len(vocab), {"a": 2, "b": 2}, EncoderConfig(kind="bow", embedding_dim=8))
    config = quick(epochs=5, batch_size=8, learning_rate=1e-2, adversarial_weight=0.0, unlabeled=unlabeled)
    trainer = Trainer(model, config.prepare(data, vocab), config)
    trainer.fit()
    model.eval()
    with torch.no_grad():
        texts = torch.tensor([vocab.encode("x x x"), vocab.encode("y y y")])  # a's and b's unlabeled text
        right_task = model(texts, torch.tensor([3, 3]), "a").task_logits.softmax(dim=1).diagonal().mean()
    assert trainer.history.discriminator_accuracy.notna().all()
    if unlabeled:
        assert right_task > 0.8  # it learned from the unlabeled texts which task writes which
    else:
        assert right_task < 0.7  # the labelled texts alone never tell the tasks apart


def test_unlabeled_training_needs_a_discriminator_and_unlabeled_texts(small_news):
    vocab = build_vocab(small_news)
    num_labels = {name: task.num_labels for name, task in small_news.tasks.items()}
    with_unlabeled = quick(unlabeled=True)
    with pytest.raises(DataError, match="has no unlabeled texts"):
        with_unlabeled.prepare(small_news, vocab)
    unlabeled_data = with_unlabeled.prepare(data_with_unlabeled_texts(), vocab)
    with pytest.raises(ConfigError, match="needs a model with a task discriminator"):
        Trainer(build_model("sp", len(vocab), {"a": 2, "b": 2}, SMALL), unlabeled_data, with_unlabeled)
    with pytest.raises(ConfigError, match="lacks; prepare it with config.prepare"):
        Trainer(build_model("asp", len(vocab), num_labels, SMALL), quick().prepare(small_news, vocab), with_unlabeled)


def test_a_task_that_cannot_learn_is_warned_of_before_training(small_news):
    rows = small_news.frame
    reuters = rows[rows.task == "Reuters"]
    one_label = reuters.assign(task="one label", label=reuters.label.iloc[0])
    tiny = pd.concat([reuters[reuters.split == "train"].head(4), reuters[reuters.split != "train"].head(6)])
    data = MultiTaskData.from_frame(pd.concat([reuters, one_label, tiny.assign(task="tiny")]))
    vocab = build_vocab(data)
    with pytest.warns(DataWarning) as warned:
        quick().prepare(data, vocab)
    messages = sorted(str(w.message) for w in warned)
    assert len(messages) == 2
    assert messages[0].startswith(f"every training row of task 'one label' has the label {reuters.label.iloc[0]!r}")
    assert messages[1].startswith("task 'tiny' has 4 training rows, too few to learn from")


def test_predictions_return_every_example_in_the_dataset_s_own_order(small_news):
    result = run_experiment(small_news, "hard", SMALL, quick(epochs=1))
    trainer = result.trainer
    dataset = trainer.data.splits["test"]["Reuters"]
    assert len(set(dataset.lengths)) > 1  # texts of several lengths: length-sorted batches would reorder them
    labels, predicted = predictions(trainer.model, "Reuters", dataset)
    assert labels.tolist() == [dataset[i][1] for i in range(len(dataset))]
    one_by_one = []
    for i in range(len(dataset)):
        tokens = torch.tensor([dataset[i][0]])
        one_by_one.append(trainer.model(tokens, torch.tensor([tokens.shape[1]]), "Reuters").logits.argmax(1).item())
    assert predicted.tolist() == one_by_one


def test_the_trainer_reads_prepared_data_and_says_how_to_prepare_it(small_news):
    vocab = build_vocab(small_news)
    model = build_model("hard", len(vocab), {task: 4 for task in small_news.task_names}, SMALL)
    how = r"not a MultiTaskData: Trainer\(model, config.prepare\(data, vocab\), config\)"
    with pytest.raises(ConfigError, match=how):
        Trainer(model, small_news, quick())
    with pytest.raises(ConfigError, match="prepared with max_length=64, but the config says 16"):
        Trainer(model, quick().prepare(small_news, vocab), quick(max_length=16))
    with pytest.raises(ConfigError, match="batching='text' reads the texts with all their labels, which the data"):
        Trainer(model, quick().prepare(small_news, vocab), quick(batching="text"))


def test_evaluation_is_a_free_function_that_gives_the_trainer_s_scores(small_news):
    result = run_experiment(small_news, "hard", SMALL, quick(epochs=1))
    trainer = result.trainer
    assert evaluate(trainer.model, trainer.data, "dev", batch_size=7) == trainer.evaluate("dev")
    assert scores(trainer.model, trainer.data)["average"]["test"] == result.metrics["average"]["test"]
    with pytest.raises(ConfigError, match="'valid' is not a split; splits are: train, dev, test"):
        evaluate(trainer.model, trainer.data, "valid")


def test_evaluating_mid_training_leaves_the_model_in_training_mode(small_news):
    from mtl_lib.analysis import extract_features
    from mtl_lib.attributions import explain

    result = run_experiment(small_news, "asp", SMALL, quick(epochs=1))
    model = result.model
    assert not model.training  # fit hands the model back ready to predict
    model.train()
    model.discriminator.eval()  # a part in its own mode keeps it
    result.trainer.evaluate("dev")
    extract_features(model, small_news, result.vocab, "dev")
    explain(result, "Reuters", "Fed raises rates again", steps=4)
    assert model.training and not model.discriminator.training
    assert all(module.training for name, module in model.named_modules() if not name.startswith("discriminator"))


def test_model_selection_can_read_the_dev_macro_f1(small_news):
    fast = {"epochs": 8, "learning_rate": 3e-2}  # past its best accuracy: seed 0's best macro-F1 comes earlier
    by_accuracy = run_experiment(small_news, "hard", SMALL, quick(**fast))
    by_f1 = run_experiment(small_news, "hard", SMALL, quick(**fast, select_on="macro_f1"))
    history = by_f1.trainer.history
    assert by_f1.trainer.selection_metric == "macro_f1"
    assert history.dev_macro_f1.idxmax() != history.dev_accuracy.idxmax()  # the two rules disagree here
    assert history.loc[history.best, "dev_macro_f1"].item() == history.dev_macro_f1.max()
    assert by_accuracy.trainer.history.best.idxmax() == history.dev_accuracy.idxmax()
    assert by_f1.metrics["average"]["dev"]["macro_f1"] == pytest.approx(history.dev_macro_f1.max())
    with pytest.raises(ConfigError, match="select_on is 'f1'; choose one of: accuracy, macro_f1"):
        quick(select_on="f1")


def test_a_term_of_one_s_own_adds_its_weighted_value_to_each_step_and_is_logged(small_news):
    from mtl_lib.step_terms import StepTerm, default_terms

    class Constant(StepTerm):  # adds 0.5 * 2 to every step's loss, and no gradient
        name, weight = "constant", 0.5

        def __call__(self, model, forwarded):
            return torch.tensor(2.0)

    class EmbeddingSize(StepTerm):  # a real regulariser: pulls the word vectors towards zero
        name, weight = "embedding_size", 1.0

        def __call__(self, model, forwarded):
            return model.embedding.weight.pow(2).mean()

    def trained(terms):
        torch.manual_seed(0)
        vocab = build_vocab(small_news)
        model = build_model("asp", len(vocab), {task: 4 for task in small_news.task_names}, SMALL)
        trainer = Trainer(model, quick().prepare(small_news, vocab), quick(), terms=terms)
        trainer.fit()
        return trainer

    plain = trained(None)
    model = plain.model
    constant = trained([*default_terms(model, 0.0), Constant()])
    assert (constant.step_log.loss - plain.step_log.loss).round(5).eq(1.0).all()
    assert constant.step_log.constant.eq(2.0).all()
    assert constant.step_log.adversarial_loss.equals(plain.step_log.adversarial_loss)  # the built-in terms as before
    for name, value in plain.model.state_dict().items():
        assert torch.equal(value, constant.model.state_dict()[name])  # a constant moves nothing
    shrunk = trained([*default_terms(model, 0.0), EmbeddingSize()])
    assert shrunk.model.embedding.weight.pow(2).mean() < plain.model.embedding.weight.pow(2).mean()


def test_pcgrad_is_refused_where_a_step_holds_one_task_with_what_to_set(news):
    data = news.sample(per_split=20, seed=0)
    vocab = build_vocab(data)
    model = build_model("hard", len(vocab), {task: 4 for task in data.task_names}, EncoderConfig(kind="bow"))
    one_task = TrainConfig(weighting="pcgrad", progress=False)
    with pytest.raises(ConfigError, match=r"each step holds one task's batch: set TrainConfig\(tasks_per_step=\.\.\.\) "
                                          r"to 2 or more \(all 5 tasks with sampler='round_robin'"):
        Trainer(model, one_task.prepare(data, vocab), one_task)
    reuters = data.select(["Reuters"])
    alone = build_model("hard", len(vocab), {"Reuters": 4}, EncoderConfig(kind="bow"))
    several = replace(one_task, tasks_per_step=2)
    with pytest.raises(ConfigError, match=r"but the data has one task \(Reuters\): choose weighting='equal'"):
        Trainer(alone, several.prepare(reuters, vocab), several)
    Trainer(model, several.prepare(data, vocab), several)  # two tasks per step: accepted


def test_the_discriminator_is_not_among_the_shared_parameters_gradient_methods_act_on():
    model = build_model("asp", 50, {"Reuters": 4, "Daily Mail": 4}, EncoderConfig(kind="cnn", kernel_sizes=(2,)))
    shared = {id(parameter) for parameter in model.shared_parameters()}
    assert shared == {id(p) for part in (model.embedding, model.shared_encoder) for p in part.parameters()}
    assert not shared & {id(parameter) for parameter in model.discriminator.parameters()}
