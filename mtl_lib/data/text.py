"""From raw text to token ids: a regex tokenizer and a `Vocab`."""

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from mtl_lib.errors import ConfigError, DataError
from mtl_lib.files import write_text_atomically

# Tried left to right at each position: a number with decimal or thousands separators,
# a word (inner apostrophes, straight or curly, and hyphens kept), or any other single
# non-space character (a punctuation mark).
_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|\w+(?:['’-]\w+)*|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Lowercase `text` and split it into words, numbers and punctuation marks.

    >>> tokenize("Don't e-mail me: it's 3.5% off!")
    ["don't", 'e-mail', 'me', ':', "it's", '3.5', '%', 'off', '!']
    """
    return _TOKEN.findall(text.lower())


class Vocab:
    """Maps tokens to ids and back; ids 0 and 1 are the padding and unknown tokens.

    >>> vocab = Vocab.build(["the cat", "the dog"])
    >>> vocab.encode("the bird")
    [2, 1]
    """

    PAD = "<pad>"
    UNK = "<unk>"
    pad_id = 0
    unk_id = 1

    def __init__(self, words: Iterable[str]):
        """A vocabulary of the special tokens followed by `words`, in id order."""
        self.tokens: list[str] = [self.PAD, self.UNK, *words]  # index = id
        self._ids = {token: i for i, token in enumerate(self.tokens)}
        if len(self._ids) < len(self.tokens):
            raise DataError("a token appears twice in the vocabulary; each token needs exactly one id")

    @classmethod
    def build(cls, texts: Iterable[str], min_freq: int = 1, max_size: int | None = None) -> "Vocab":
        """The vocabulary of `texts`: most frequent tokens first, ties in alphabetical order.

        Keeps tokens seen at least `min_freq` times, and at most `max_size` tokens in all,
        the two special tokens included.
        """
        if min_freq < 1:
            raise ConfigError(f"min_freq must be >= 1 (1 keeps every token); got {min_freq}")
        if max_size is not None and max_size < 3:
            raise ConfigError(f"max_size must be None or >= 3 (two specials and a word); got {max_size}")
        counts = Counter(token for text in texts for token in tokenize(text))
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        words = [token for token, count in ranked if count >= min_freq]
        if max_size is not None:
            words = words[: max_size - 2]
        return cls(words)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self._ids

    def token_to_id(self, token: str) -> int:
        """The id of `token`, or `unk_id` for a token outside the vocabulary."""
        return self._ids.get(token, self.unk_id)

    def id_to_token(self, token_id: int) -> str:
        """The token with id `token_id`: `vocab.id_to_token(0) == "<pad>"`."""
        return self.tokens[token_id]

    def encode(self, text: str, max_length: int | None = None) -> list[int]:
        """Token ids of `text`, cut to its first `max_length` tokens; never empty."""
        if max_length is not None and max_length < 1:
            raise ConfigError(f"max_length must be >= 1 or None; got {max_length}")
        ids = [self.token_to_id(token) for token in tokenize(text)]
        # An empty text becomes one unknown token: a sequence of length 0 would break
        # packed LSTMs (which reject length 0) and mean pooling (which divides by it).
        return (ids or [self.unk_id])[:max_length]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of `ids` (a list or a 1-d tensor), padding included."""
        return [self.tokens[int(token_id)] for token_id in ids]

    def to_dict(self) -> dict[str, list[str]]:
        """A JSON-ready form, to store inside a checkpoint's config."""
        return {"tokens": list(self.tokens)}

    @classmethod
    def from_dict(cls, data: object) -> "Vocab":
        """The vocabulary that `to_dict` described."""
        tokens = data.get("tokens") if isinstance(data, dict) else None
        starts_right = isinstance(tokens, list) and tokens[:2] == [cls.PAD, cls.UNK]
        if not starts_right or not all(isinstance(token, str) for token in tokens):
            raise DataError('expected {"tokens": ["<pad>", "<unk>", ...]}, as Vocab.to_dict writes')
        return cls(tokens[2:])

    def save(self, path: str | Path) -> None:
        """Write the vocabulary as JSON, atomically: a crash mid-write never leaves half a file."""
        write_text_atomically(path, json.dumps(self.to_dict(), ensure_ascii=False))

    @classmethod
    def load(cls, path: str | Path) -> "Vocab":
        """Read a vocabulary written by `save`."""
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except ValueError as error:  # not UTF-8, not JSON, or JSON that is not a vocabulary
            raise DataError(f"{path} is not a vocabulary file written by Vocab.save: {error}") from None
