"""The tokenizer and the vocabulary: ordering, limits, unknown words, and saving."""

import json

import pytest

from mtl_lib.data.text import Vocab, tokenize
from mtl_lib.errors import ConfigError, DataError


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Hello, World!", ["hello", ",", "world", "!"]),
        ("Don't e-mail me", ["don't", "e-mail", "me"]),
        ("Rock’n’roll is back", ["rock’n’roll", "is", "back"]),
        ("Up 3.5% to $1,200 in 2019.", ["up", "3.5", "%", "to", "$", "1,200", "in", "2019", "."]),
        ("COVID-19 ... wait?!", ["covid-19", ".", ".", ".", "wait", "?", "!"]),
        ("'quoted' - dash", ["'", "quoted", "'", "-", "dash"]),
        ("  \n\t ", []),
    ],
)
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


def test_specials_come_first():
    vocab = Vocab.build(["a b"])
    assert (vocab.pad_id, vocab.unk_id) == (0, 1)
    assert vocab.id_to_token(vocab.pad_id) == Vocab.PAD == "<pad>"
    assert vocab.id_to_token(vocab.unk_id) == Vocab.UNK == "<unk>"


def test_build_orders_by_frequency_then_alphabet():
    vocab = Vocab.build(["b a c", "c b d", "c"])  # c: 3, b: 2, then a and d once each
    assert vocab.tokens == ["<pad>", "<unk>", "c", "b", "a", "d"]
    assert len(vocab) == 6
    assert "d" in vocab and "e" not in vocab


def test_build_is_independent_of_text_order():
    texts = ["x y z", "y z", "w w w z"]
    assert Vocab.build(texts).tokens == Vocab.build(texts[::-1]).tokens


def test_min_freq_drops_rare_tokens():
    vocab = Vocab.build(["a a a b b c"], min_freq=2)
    assert vocab.tokens[2:] == ["a", "b"]


def test_max_size_counts_the_specials():
    vocab = Vocab.build(["a a a b b c"], max_size=4)
    assert vocab.tokens == ["<pad>", "<unk>", "a", "b"]


@pytest.mark.parametrize(("argument", "kwargs"), [("min_freq", {"min_freq": 0}), ("max_size", {"max_size": 2})])
def test_build_rejects_bad_limits(argument, kwargs):
    with pytest.raises(ConfigError, match=argument):
        Vocab.build(["a"], **kwargs)


def test_encode_maps_unknown_words_to_unk():
    vocab = Vocab.build(["the cat sat"])
    the, cat = vocab.token_to_id("the"), vocab.token_to_id("cat")
    assert vocab.encode("The dog, the cat") == [the, 1, 1, the, cat]
    assert vocab.token_to_id("dog") == vocab.unk_id


def test_encode_truncates_to_max_length():
    vocab = Vocab.build(["a b c d"])
    assert vocab.encode("a b c d", max_length=2) == vocab.encode("a b")
    assert len(vocab.encode("a b c d", max_length=10)) == 4
    with pytest.raises(ConfigError, match="max_length"):
        vocab.encode("a", max_length=0)


def test_empty_text_encodes_to_one_unknown_token():
    vocab = Vocab.build(["a"])
    assert vocab.encode("") == [vocab.unk_id]
    assert vocab.encode("   ") == [vocab.unk_id]


def test_decode_inverts_encode_for_known_words():
    vocab = Vocab.build(["the cat sat"])
    assert vocab.decode(vocab.encode("the cat")) == ["the", "cat"]
    assert vocab.decode([0, 1]) == ["<pad>", "<unk>"]


def test_save_and_load_round_trip(tmp_path):
    vocab = Vocab.build(["Don't panic: 42 is the answer, the answer!"])
    path = tmp_path / "vocab.json"
    vocab.save(path)
    assert json.loads(path.read_text(encoding="utf-8")) == vocab.to_dict()
    loaded = Vocab.load(path)
    assert loaded.tokens == vocab.tokens
    assert [loaded.token_to_id(t) for t in vocab.tokens] == list(range(len(vocab)))
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_from_dict_inverts_to_dict():
    vocab = Vocab.build(["one two two"])
    assert Vocab.from_dict(json.loads(json.dumps(vocab.to_dict()))).tokens == vocab.tokens


@pytest.mark.parametrize(
    "content",
    [
        "not json at all",
        '["<pad>", "<unk>", "a"]',
        '{"words": ["<pad>", "<unk>"]}',
        '{"tokens": ["a", "b"]}',
        '{"tokens": ["<pad>", "<unk>", 3]}',
        '{"tokens": ["<pad>", "<unk>", "a", "a"]}',
    ],
)
def test_loading_a_file_that_is_not_a_vocab_raises_data_error(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match="not a vocabulary"):
        Vocab.load(path)
