"""Transfer to a new task: frozen shared layers, new heads and private channels, and their figures."""

import math

import pandas as pd
import pytest
import torch

from mtl_lib import EncoderConfig, MultiTaskData, TrainConfig, Trainer, Vocab, build_model, build_vocab
from mtl_lib.errors import ConfigError, DataError, UnknownTaskError
from mtl_lib.plots import transfer as transfer_plots
from mtl_lib.transfer import BiChannel, data_efficiency, token_coverage, transfer_model

from figures import assert_labelled

SMALL = EncoderConfig(kind="bow", embedding_dim=16, hidden_dim=16)
SOURCE_LABELS = {"Reuters": 4, "Daily Mail": 4}
TARGET_LABELS = {"BBC": 5, "Other": 2}
VOCAB_SIZE = 50


def quick(**overrides) -> TrainConfig:
    return TrainConfig(**({"epochs": 2, "batch_size": 16, "max_length": 32, "progress": False} | overrides))


def random_batch(batch: int = 4, seq: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, seq + 1, (batch,), generator=generator)
    tokens = torch.randint(1, VOCAB_SIZE, (batch, seq), generator=generator)
    tokens[torch.arange(seq) >= lengths.unsqueeze(1)] = 0
    return tokens, lengths


@pytest.fixture(scope="module")
def small_bbc(bbc: MultiTaskData) -> MultiTaskData:
    return bbc.sample(per_split=40, seed=0)


@pytest.fixture(scope="module")
def source_data(news: MultiTaskData) -> MultiTaskData:
    return news.select(["Reuters", "Businessweek", "Contactmusic.com", "Daily Mail"]).sample(per_split=60, seed=0)


@pytest.fixture(scope="module")
def vocab(source_data: MultiTaskData) -> Vocab:
    return build_vocab(source_data)


@pytest.fixture(scope="module")
def source(source_data: MultiTaskData, vocab: Vocab):
    torch.manual_seed(0)
    model = build_model("asp", len(vocab), {task: 4 for task in source_data.task_names}, SMALL)
    Trainer(model, quick(epochs=1).prepare(source_data, vocab), quick(epochs=1)).fit()
    return model


# Models


@pytest.mark.parametrize("method", ["single_channel", "bi_channel"])
@pytest.mark.parametrize("architecture", ["hard", "sp", "asp"])
def test_a_transfer_model_has_the_new_tasks_and_their_label_counts(architecture, method):
    source = build_model(architecture, VOCAB_SIZE, SOURCE_LABELS, SMALL)
    model = transfer_model(source, TARGET_LABELS, method, SMALL)
    assert model.task_names == ["BBC", "Other"] and model.discriminator is None
    tokens, lengths = random_batch(batch=3)
    for task, count in TARGET_LABELS.items():
        output = model(tokens, lengths, task)
        assert output.logits.shape == (3, count)
        assert output.shared_features.shape == (3, 16)
        assert (output.private_features is not None) == (method == "bi_channel")
        assert output.task_logits is None
    with pytest.raises(UnknownTaskError, match="'Reuters' is not a task of this model; tasks are: BBC, Other"):
        model(tokens, lengths, "Reuters")


def test_the_frozen_channel_gives_the_source_features_and_no_gradient():
    source = build_model("sp", VOCAB_SIZE, SOURCE_LABELS, EncoderConfig(kind="cnn", embedding_dim=8, dropout=0.5))
    model = transfer_model(source, TARGET_LABELS, "single_channel")
    source.eval()
    model.train()  # the new head trains, the frozen channel stays in eval mode: no dropout
    tokens, lengths = random_batch()
    expected = source(tokens, lengths, "Reuters").shared_features
    assert not model.shared.training
    assert torch.equal(model(tokens, lengths, "BBC").shared_features, expected)
    assert torch.equal(model(tokens, lengths, "BBC").shared_features, expected)
    assert all(not parameter.requires_grad for parameter in model.shared.parameters())
    assert all(parameter.requires_grad for parameter in source.parameters())  # the source is left as it was
    assert model.shared_parameters() == []


def test_the_bi_channel_model_trains_a_private_channel_and_a_head_only():
    source = build_model("hard", VOCAB_SIZE, SOURCE_LABELS, SMALL)
    model = transfer_model(source, TARGET_LABELS, "bi_channel", SMALL)
    assert isinstance(model, BiChannel)
    trainable = {name.split(".")[0] for name, parameter in model.named_parameters() if parameter.requires_grad}
    assert trainable == {"private_embeddings", "heads"}  # a bag of embeddings has no weights but its table
    assert sum(parameter.numel() for parameter in model.private_embeddings.parameters()) == 2 * VOCAB_SIZE * 16
    assert model.heads["BBC"].in_features == 16 + 16  # concat(shared, private)
    tokens, lengths = random_batch()
    model(tokens, lengths, "BBC").logits.sum().backward()
    assert model.private_embeddings["BBC"].weight.grad.abs().sum() > 0
    assert all(parameter.grad is None for parameter in model.shared.parameters())


@pytest.mark.parametrize(("architecture", "class_name"), [("single", "SingleTask"), ("soft", "SoftSharing")])
def test_a_source_without_a_shared_encoder_is_refused_by_name(architecture, class_name):
    source = build_model(architecture, VOCAB_SIZE, SOURCE_LABELS, SMALL)
    with pytest.raises(ConfigError, match=f"a {class_name} model shares no encoder.*'hard', 'sp' or 'asp'"):
        transfer_model(source, TARGET_LABELS)


def test_bad_methods_and_a_missing_private_encoder_are_refused():
    source = build_model("hard", VOCAB_SIZE, SOURCE_LABELS, SMALL)
    with pytest.raises(ConfigError, match="methods are: single_channel, bi_channel"):
        transfer_model(source, TARGET_LABELS, "fine_tune")
    with pytest.raises(ConfigError, match="bi-channel model needs encoder="):
        transfer_model(source, TARGET_LABELS, "bi_channel")


# Training with the library's Trainer


@pytest.mark.parametrize("method", ["single_channel", "bi_channel"])
def test_training_leaves_the_shared_weights_bit_identical_and_changes_the_new_parts(source, small_bbc, vocab,
                                                                                     method):
    model = transfer_model(source, {"BBC": 5}, method, SMALL)
    before = {name: value.clone() for name, value in model.named_parameters()}
    config = quick(learning_rate=1e-2)
    trainer = Trainer(model, config.prepare(small_bbc, vocab), config)
    history = trainer.fit()

    assert len(history) == 2
    changed = {name.split(".")[0] for name, value in model.named_parameters() if not torch.equal(value, before[name])}
    assert changed == ({"heads", "private_embeddings"} if method == "bi_channel" else {"heads"})
    for name, value in model.shared.state_dict().items():  # buffers too, had there been any
        assert torch.equal(value, before[f"shared.{name}"]), name
    scores = trainer.evaluate("test")
    assert set(scores["tasks"]) == {"BBC"} and 0 <= scores["average"]["accuracy"] <= 1


# Coverage and data-efficiency runs


def test_token_coverage_counts_running_tokens_known_to_the_vocabulary():
    data = MultiTaskData.from_frame(pd.DataFrame({"task": "BBC", "label": "sport", "split": "train",
                                                  "text": ["the cup final", "the the goal"]}))
    vocab = Vocab(["the", "cup"])
    assert token_coverage(data, vocab) == pytest.approx(4 / 6)  # the, cup, the, the of 6 tokens
    assert token_coverage(data, vocab, max_length=1) == 1.0  # only "the" of each text is read
    assert math.isnan(token_coverage(data, vocab, split="test"))


def test_data_efficiency_pairs_every_method_on_the_same_subsamples(source, small_bbc, vocab):
    table = data_efficiency({"asp": source}, small_bbc, vocab, SMALL, fractions=[0.25, 1.0], seeds=[0],
                            config=quick(epochs=1), min_steps=3)
    assert len(table) == 2 * 3
    assert list(table.method.unique()) == ["scratch", "single_channel", "bi_channel"]
    assert set(table.source) == {"none", "asp"}
    examples = table.groupby("fraction").train_examples.unique()
    assert examples[0.25].tolist() == [10] and examples[1.0].tolist() == [40]
    assert table.accuracy.between(0, 1).all()


def test_data_efficiency_refuses_a_vocabulary_that_does_not_fit_the_source(source, small_bbc):
    with pytest.raises(ConfigError, match="pass the vocabulary the source was trained with"):
        data_efficiency({"asp": source}, small_bbc, Vocab(["a", "b"]), SMALL, [1.0], [0], quick())


# Figures


def curves() -> pd.DataFrame:
    rows = [{"source": source, "method": method, "fraction": fraction, "train_examples": int(100 * fraction),
             "seed": seed, "accuracy": 0.5 + fraction / 4 + seed / 100, "macro_f1": 0.4}
            for source, method in [("none", "scratch"), ("hard", "single_channel"), ("asp", "single_channel"),
                                   ("hard", "bi_channel"), ("asp", "bi_channel")]
            for fraction in (0.1, 0.5, 1.0) for seed in range(3)]
    return pd.DataFrame(rows)


def test_data_efficiency_draws_a_line_per_method_with_readable_names():
    table = curves()
    ax = transfer_plots.data_efficiency(table[table.source != "asp"])
    assert_labelled(ax)
    assert "3 seeds" in ax.get_title() and ax.get_xscale() == "log"
    assert list(ax.get_xticks()) == [10, 50, 100]  # a tick at each amount of training data
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["from scratch", "single channel", "bi-channel"]


def test_data_efficiency_panels_repeat_the_reference_in_every_panel():
    table = curves()
    scratch, transfers = table[table.method == "scratch"], table[table.method != "scratch"]
    axes = transfer_plots.data_efficiency_panels(transfers, panel="method", hue="source", reference=scratch,
                                                 x="fraction")
    assert [ax.get_title() for ax in axes] == ["single channel", "bi-channel"]
    for ax in axes:
        assert_labelled(ax)
        assert [text.get_text() for text in ax.get_legend().get_texts()] == ["from scratch", "hard", "asp"]


def test_data_efficiency_names_what_is_missing():
    with pytest.raises(DataError, match="no column 'method'"):
        transfer_plots.data_efficiency(curves().drop(columns="method"))
    with pytest.raises(ConfigError, match="x must be one of train_examples, fraction"):
        transfer_plots.data_efficiency(curves(), x="epochs")
