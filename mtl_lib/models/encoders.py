"""Encoders: from embedded tokens to one vector per text.

Every encoder has the same call, `encoder(embedded, lengths)`, with `embedded` of shape
(batch, seq, embedding_dim) and `lengths` of shape (batch,), and returns one vector per
text, (batch, encoder.output_dim). Padding never changes a text's vector: the same text
padded to any length encodes the same (in eval mode).

Encoders do not own the embedding table; the architecture does (see `make_embedding`).
"""

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from mtl_lib.errors import ConfigError

ENCODER_KINDS = ("bow", "cnn", "lstm")
POOLINGS = ("max", "last")


@dataclass
class EncoderConfig:
    """How to build an encoder; the defaults train on a laptop CPU.

    >>> EncoderConfig(kind="cnn", kernel_sizes=(2, 3)).hidden_dim
    64
    """

    kind: str = "lstm"  # "bow" (mean of embeddings), "cnn" or "lstm" (bidirectional)
    embedding_dim: int = 64
    hidden_dim: int = 64  # filters per kernel width (cnn), units per direction (lstm)
    kernel_sizes: tuple[int, ...] = (3, 4, 5)  # cnn only
    pooling: str = "max"  # lstm only: "max" over time, or the "last" states of both directions
    dropout: float = 0.2  # on the encoder's output

    def __post_init__(self):
        if self.kind not in ENCODER_KINDS:
            raise ConfigError(
                f"EncoderConfig.kind must be one of {', '.join(ENCODER_KINDS)}; got {self.kind!r}"
            )
        for field in ("embedding_dim", "hidden_dim"):
            value = getattr(self, field)
            if not _is_positive_int(value):
                raise ConfigError(f"EncoderConfig.{field} must be a positive integer; got {value!r}")
        self.kernel_sizes = tuple(self.kernel_sizes)  # a list from a JSON config is welcome too
        if not self.kernel_sizes or not all(_is_positive_int(size) for size in self.kernel_sizes):
            raise ConfigError(
                f"EncoderConfig.kernel_sizes must be one or more positive integers; "
                f"got {self.kernel_sizes!r}"
            )
        if self.pooling not in POOLINGS:
            raise ConfigError(
                f"EncoderConfig.pooling must be one of {', '.join(POOLINGS)}; got {self.pooling!r}"
            )
        if self.pooling != "max" and self.kind != "lstm":
            raise ConfigError(
                f"EncoderConfig.pooling={self.pooling!r} needs kind='lstm'; got kind={self.kind!r}"
            )
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"EncoderConfig.dropout must be in [0, 1); got {self.dropout!r}")


def _is_positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def make_embedding(vocab_size: int, embedding_dim: int) -> nn.Embedding:
    """The table of word vectors of an architecture, with row 0 (padding) kept at zero.

    One table serves all the encoders of an architecture: one set of word vectors, many
    views of it. Words mean much the same in every publication, each word learns from
    every task's texts, and a 17-task model stays small, since the table
    (vocab_size x embedding_dim) is by far its largest part.
    """
    if not _is_positive_int(vocab_size) or vocab_size < 2:
        raise ConfigError(
            f"vocab_size must be an integer >= 2 (padding and at least one word); got {vocab_size!r}"
        )
    return nn.Embedding(vocab_size, embedding_dim, padding_idx=0)


def real_token_mask(lengths: Tensor, seq_len: int) -> Tensor:
    """True at real tokens, False at padding: (batch,) lengths -> (batch, seq_len) bool.

    >>> real_token_mask(torch.tensor([2, 1]), 3)
    tensor([[ True,  True, False],
            [ True, False, False]])
    """
    positions = torch.arange(seq_len, device=lengths.device)  # (seq,)
    return positions.unsqueeze(0) < lengths.unsqueeze(1)  # (batch, seq)


class BagOfEmbeddings(nn.Module):
    """The mean of a text's word vectors: word order ignored, the simplest strong baseline.

    It has no weights of its own: in an architecture whose encoders share one embedding
    table (SP, ASP), a bag-of-embeddings shared encoder and private encoder compute the
    same vector. Use "cnn" or "lstm" where shared and private features must differ.
    """

    def __init__(self, embedding_dim: int, dropout: float = 0.0):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.output_dim = embedding_dim

    def forward(self, embedded: Tensor, lengths: Tensor) -> Tensor:
        mask = real_token_mask(lengths, embedded.size(1)).unsqueeze(-1)  # (batch, seq, 1)
        summed = (embedded * mask).sum(dim=1)  # (batch, emb)
        mean = summed / lengths.unsqueeze(-1).to(embedded.dtype)  # (batch, emb)
        return self.dropout(mean)


class CNNEncoder(nn.Module):
    """Kim (2014): filters over windows of a few words (3, 4, 5), each filter's best match kept.

    Only windows that lie inside the text compete for the max, so padding never wins it.
    A text shorter than a window still gets one window: its start, filled up with zeros.
    """

    def __init__(
        self, embedding_dim: int, hidden_dim: int, kernel_sizes: tuple[int, ...], dropout: float = 0.0
    ):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv1d(embedding_dim, hidden_dim, size) for size in kernel_sizes)
        self.kernel_sizes = tuple(kernel_sizes)
        self.dropout = nn.Dropout(dropout)
        self.output_dim = hidden_dim * len(kernel_sizes)

    def forward(self, embedded: Tensor, lengths: Tensor) -> Tensor:
        seq_len = embedded.size(1)
        embedded = embedded * real_token_mask(lengths, seq_len).unsqueeze(-1)  # padding is exactly zero
        widest = max(self.kernel_sizes)
        if seq_len < widest:  # every kernel needs at least one window
            embedded = nn.functional.pad(embedded, (0, 0, 0, widest - seq_len))  # (batch, widest, emb)
        channels_first = embedded.transpose(1, 2)  # (batch, emb, seq)
        pooled = []
        for conv, size in zip(self.convs, self.kernel_sizes):
            feature_maps = torch.relu(conv(channels_first))  # (batch, hidden, seq - size + 1 windows)
            last_start = (lengths - size).clamp(min=0)  # (batch,) start of the last window inside the text
            inside = real_token_mask(last_start + 1, feature_maps.size(2))  # (batch, windows)
            feature_maps = feature_maps.masked_fill(~inside.unsqueeze(1), float("-inf"))
            pooled.append(feature_maps.amax(dim=2))  # (batch, hidden)
        return self.dropout(torch.cat(pooled, dim=1))  # (batch, hidden * len(kernel_sizes))


class BiLSTMEncoder(nn.Module):
    """A bidirectional LSTM over the real tokens only (packed), pooled to one vector.

    pooling="max": the max over time of each output unit; "last": the forward direction's
    state after the last word beside the backward direction's state after the first.
    """

    def __init__(self, embedding_dim: int, hidden_dim: int, pooling: str = "max", dropout: float = 0.0):
        super().__init__()
        if pooling not in POOLINGS:
            raise ConfigError(f"pooling must be one of {', '.join(POOLINGS)}; got {pooling!r}")
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.output_dim = 2 * hidden_dim

    def forward(self, embedded: Tensor, lengths: Tensor) -> Tensor:
        # Packing runs each text for exactly its own length; the lengths must live on the CPU.
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_outputs, (final_states, _) = self.lstm(packed)  # final_states: (2, batch, hidden)
        if self.pooling == "last":
            text_vectors = torch.cat([final_states[0], final_states[1]], dim=1)  # (batch, 2*hidden)
        else:
            outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True, padding_value=float("-inf"))
            text_vectors = outputs.amax(dim=1)  # (batch, seq, 2*hidden) -> (batch, 2*hidden)
        return self.dropout(text_vectors)


def build_encoder(config: EncoderConfig) -> nn.Module:
    """The encoder that `config` describes: `build_encoder(EncoderConfig(kind="bow")).output_dim == 64`."""
    if config.kind == "bow":
        return BagOfEmbeddings(config.embedding_dim, config.dropout)
    if config.kind == "cnn":
        return CNNEncoder(config.embedding_dim, config.hidden_dim, config.kernel_sizes, config.dropout)
    return BiLSTMEncoder(config.embedding_dim, config.hidden_dim, config.pooling, config.dropout)
