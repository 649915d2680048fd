"""Integrated gradients per channel: the attributions add up to what the model output, as promised."""

import numpy as np
import pytest
import torch

from mtl_lib import EncoderConfig, TrainConfig, build_model, run_experiment
from mtl_lib.attributions import attribute_texts, channel_logits, explain, integrated_gradients
from mtl_lib.data import pad_collate
from mtl_lib.errors import ConfigError, DataError, UnknownLabelError, UnknownTaskError

TASKS = {"a": 3, "b": 2}


@pytest.fixture(scope="module")
def trained(news):
    """A tiny ASP model (bag of embeddings) trained for one epoch on 40 headlines per task and split."""
    small = news.sample(per_split=40, seed=1)
    return run_experiment(small, "asp", EncoderConfig(kind="bow", embedding_dim=16),
                          TrainConfig.for_model("asp", epochs=1, progress=False, learning_rate=1e-2))


def smooth_model(architecture: str = "sp") -> torch.nn.Module:
    """An untrained BiLSTM model in float64: a smooth, clearly non-linear logit (last states, no max)."""
    torch.manual_seed(0)
    model = build_model(architecture, 50, TASKS, EncoderConfig(kind="lstm", embedding_dim=8, hidden_dim=8,
                                                               pooling="last", dropout=0.0)).double()
    with torch.no_grad():
        model.embedding.weight.mul_(3.0)  # larger inputs: the tanh and sigmoid units bend
        for head in model.heads.values():
            head.weight.mul_(5.0)  # larger logits: differences well above rounding
    return model


def a_batch():
    return pad_collate([([5, 9, 2, 33, 7], 0), ([4, 12, 8], 0)])


def test_channel_logits_at_the_input_are_the_models_logits():
    for architecture in ("sp", "asp", "hard"):
        model = smooth_model(architecture).eval()
        batch = a_batch()
        embedded = model.embedding(batch.tokens)
        via_channels = channel_logits(model, "a")(embedded, embedded, batch.lengths)
        assert torch.allclose(via_channels, model(batch.tokens, batch.lengths, "a").logits)


def test_completeness_shared_plus_private_is_the_logit_difference():
    model = smooth_model()
    batch = a_batch()
    result = integrated_gradients(model, "a", batch.tokens, batch.lengths, steps=64)
    total = result["shared"].sum(dim=1) + result["private"].sum(dim=1)
    difference = result["target_logit"] - result["baseline_logit"]
    assert difference.abs().min() > 0.05  # a real difference to account for
    assert torch.allclose(total, difference, atol=1e-3 * difference.abs().max().item())
    assert (result["shared"][1, 3:] == 0).all() and (result["private"][1, 3:] == 0).all()  # padding gets nothing


def test_walking_the_path_in_chunks_gives_the_same_attributions(monkeypatch):
    model = smooth_model()
    batch = a_batch()
    at_once = integrated_gradients(model, "a", batch.tokens, batch.lengths, steps=15)
    monkeypatch.setattr("mtl_lib.attributions.PATH_ROWS", 4)  # two points of the path per chunk, the last alone
    in_chunks = integrated_gradients(model, "a", batch.tokens, batch.lengths, steps=15)
    for channel in ("shared", "private"):
        assert torch.allclose(in_chunks[channel], at_once[channel])


def test_the_path_is_walked_with_cudnn_off_whose_rnn_backward_needs_training_mode(monkeypatch):
    """On CUDA, cuDNN refuses an LSTM's backward pass in eval mode; PyTorch's own kernels do not."""
    from mtl_lib import attributions

    seen = []
    walk = attributions._path_gradients

    def watched(*args):
        seen.append(torch.backends.cudnn.enabled)
        return walk(*args)

    monkeypatch.setattr(attributions, "_path_gradients", watched)
    model = smooth_model()
    batch = a_batch()
    integrated_gradients(model, "a", batch.tokens, batch.lengths, steps=4)
    assert seen == [False] and torch.backends.cudnn.enabled  # off for the path, on again after


def test_the_riemann_error_falls_as_the_steps_grow():
    model = smooth_model()
    batch = a_batch()
    errors = []
    for steps in (1, 4, 16, 64):
        result = integrated_gradients(model, "b", batch.tokens, batch.lengths, steps=steps)
        total = result["shared"].sum(dim=1) + result["private"].sum(dim=1)
        errors.append((total - (result["target_logit"] - result["baseline_logit"])).abs().max().item())
    assert all(later < earlier for earlier, later in zip(errors, errors[1:])), errors
    assert errors[-1] < errors[0] / 100  # the midpoint rule: about 1/steps^2


def test_both_channels_carry_attribution_and_targets_default_to_the_prediction():
    model = smooth_model()
    batch = a_batch()
    result = integrated_gradients(model, "a", batch.tokens, batch.lengths, steps=8)
    assert result["shared"].abs().sum() > 0 and result["private"].abs().sum() > 0
    assert (result["targets"] == result["logits"].argmax(dim=1)).all()
    chosen = integrated_gradients(model, "a", batch.tokens, batch.lengths, targets=torch.tensor([2, 0]), steps=8)
    assert chosen["targets"].tolist() == [2, 0]
    assert chosen["target_logit"][0] == chosen["logits"][0, 2]


def test_hard_sharing_has_only_the_shared_channel():
    model = smooth_model("hard")
    batch = a_batch()
    result = integrated_gradients(model, "a", batch.tokens, batch.lengths, steps=16)
    assert (result["private"] == 0).all()
    difference = result["target_logit"] - result["baseline_logit"]
    assert torch.allclose(result["shared"].sum(dim=1), difference, atol=1e-2 * difference.abs().max().item())


@pytest.mark.parametrize("architecture", ["single", "soft"])
def test_models_without_a_shared_encoder_are_refused_by_name(architecture):
    model = build_model(architecture, 50, TASKS, EncoderConfig(kind="bow", embedding_dim=8))
    batch = a_batch()
    with pytest.raises(ConfigError, match="sp, asp or hard"):
        integrated_gradients(model, "a", batch.tokens, batch.lengths)


def test_steps_must_be_a_positive_integer():
    batch = a_batch()
    with pytest.raises(ConfigError, match="steps must be a positive integer"):
        integrated_gradients(smooth_model(), "a", batch.tokens, batch.lengths, steps=0)


def test_explain_accounts_for_the_models_own_output(trained):
    text = "Apple shares fall as iPhone sales slow in China"
    attribution = explain(trained, "Reuters", text, steps=16)
    assert attribution.shared.sum() + attribution.private.sum() == pytest.approx(attribution.logit_difference,
                                                                                 abs=1e-4)
    model = trained.model.eval()
    tokens = torch.tensor([trained.vocab.encode(text)])
    with torch.no_grad():
        logits = model(tokens, torch.tensor([tokens.shape[1]]), "Reuters").logits[0]
    label_names = list(trained.spec.label_names["Reuters"])
    assert attribution.predicted == label_names[int(logits.argmax())] == attribution.label
    assert attribution.logit == pytest.approx(float(logits.max()), abs=1e-5)
    assert sum(attribution.probabilities.values()) == pytest.approx(1.0)
    frame = attribution.frame()
    assert list(frame.token) == ["apple", "shares", "fall", "as", "iphone", "sales", "slow", "in", "china"]
    assert np.allclose(frame.total, frame.shared + frame.private)


def test_a_bag_of_embeddings_is_linear_so_one_step_is_exact(trained):
    one = explain(trained, "Daily Mail", "Kim Kardashian shows off new look", steps=1)
    many = explain(trained, "Daily Mail", "Kim Kardashian shows off new look", steps=64)
    assert one.completeness_error < 1e-4
    assert np.allclose(one.shared, many.shared, atol=1e-5) and np.allclose(one.private, many.private, atol=1e-5)


def test_explain_another_label_unknown_words_and_cut_texts(trained):
    attribution = explain(trained, "Reuters", "Zyxwv qqq markets rally " * 5, label="health", max_length=6)
    assert attribution.label == "health" and attribution.predicted in trained.spec.label_names["Reuters"]
    assert len(attribution.tokens) == 6 and attribution.words_in_text == 20
    assert list(attribution.known[:2]) == [False, False]


def test_explain_says_what_was_wrong(trained):
    with pytest.raises(UnknownLabelError, match="'sport' is not a label of task 'Reuters'"):
        explain(trained, "Reuters", "Fed raises rates", label="sport")
    with pytest.raises(UnknownTaskError, match="'BBC' is not a task of this model"):
        explain(trained, "BBC", "Fed raises rates")
    with pytest.raises(DataError, match="no words"):
        explain(trained, "Reuters", "   ")


def test_attribute_texts_has_one_row_per_word_read(trained):
    texts = ["Fed raises rates", "Kim Kardashian shows off new look at the Met Gala tonight", "Ebola"]
    rows = attribute_texts(trained.model, trained.vocab, "Daily Mail", texts, steps=4, max_length=8, batch_size=2)
    assert rows.groupby("text").size().tolist() == [3, 8, 1]
    alone = explain(trained, "Daily Mail", texts[1], steps=4, max_length=8)
    assert np.allclose(rows[rows.text == 1].shared, alone.shared, atol=1e-5)
    assert rows.token.iloc[0] == ("fed" if "fed" in trained.vocab else "<unk>")


def test_attribute_texts_of_no_texts_is_an_empty_table(trained):
    rows = attribute_texts(trained.model, trained.vocab, "Reuters", [])
    assert rows.empty and list(rows.columns) == ["text", "position", "token", "shared", "private"]
