"""The built-in data sets: where each archive comes from and how to read it.

Each parser reads the upstream archive format unchanged and returns one row per
example with the columns `task`, `text`, `label` (a readable name), plus any
column the data set needs for splitting (`story` for news, `split` where
upstream fixes the test set). Unlabeled texts come back with an empty label and
split `unlabeled`.
"""

import io
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mtl_lib.data.download import Archive
from mtl_lib.data.splits import grouped_split, linked_groups, stratified_grouped_split
from mtl_lib.errors import CorruptArchiveError, DataError

NEWS_PUBLISHERS = ("Reuters", "Huffington Post", "Businessweek", "Contactmusic.com", "Daily Mail")
NEWS_CATEGORIES = {"b": "business", "t": "science and technology", "e": "entertainment", "m": "health"}
NEWS_COLUMNS = ["id", "title", "url", "publisher", "category", "story", "hostname", "timestamp"]
FDU_LABELS = ("negative", "positive")
FDU_DEV_ROWS = 200


@dataclass(frozen=True)
class Source:
    """A built-in data set: its archive, its parser, how it is split, and its terms of use."""

    name: str
    description: str
    archive: Archive
    parse: Callable[[Path], pd.DataFrame]
    split: Callable[[pd.DataFrame, int], pd.Series]
    label_names: Callable[[pd.DataFrame], dict[str, tuple[str, ...]]]
    licence: str


def decode(raw: bytes) -> str:
    """UTF-8 where it is valid, else Latin-1 (which decodes any bytes): several archives mix both."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


@contextmanager
def reading(path: Path):
    """Turn any failure to read an archive into one `CorruptArchiveError` that says what to do."""
    try:
        yield
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, KeyError, OSError) as exc:
        raise CorruptArchiveError(
            f"{path} is corrupt or truncated ({exc.__class__.__name__}: {exc}). "
            "Delete it and fetch it again."
        ) from exc


# --- UCI News Aggregator: five publishers as five tasks ---------------------------------------

def parse_news(path: Path) -> pd.DataFrame:
    """Headlines of the five largest publishers from `newsCorpora.csv` (tab separated, no header)."""
    with reading(path), zipfile.ZipFile(path) as archive:
        raw = archive.read("newsCorpora.csv")
    try:
        rows = pd.read_csv(io.StringIO(decode(raw)), sep="\t", header=None, names=NEWS_COLUMNS,
                           quoting=3, dtype=str, keep_default_na=False)  # 3 = csv.QUOTE_NONE: titles hold quotes
    except pd.errors.ParserError as exc:
        raise CorruptArchiveError(f"newsCorpora.csv in {path} is not the 8-column UCI format: {exc}") from exc
    rows = rows[rows.publisher.isin(NEWS_PUBLISHERS)]
    return pd.DataFrame({
        "task": rows.publisher,
        "text": rows.title.str.strip(),
        "label": rows.category.map(NEWS_CATEGORIES),
        "story": rows.story,
        "timestamp": pd.to_numeric(rows.timestamp, errors="coerce"),  # ms since 1970, when the aggregator saw it
    }).reset_index(drop=True)


def split_news(frame: pd.DataFrame, seed: int) -> pd.Series:
    """70/10/20 by STORY across all publications: one story's headlines never straddle two splits.

    Identical headlines are kept together too: 251 repeat, some under a new story id.
    """
    return grouped_split(linked_groups(frame.story, frame.text.str.lower()), seed)


# --- BBC full text: one more publication, with its own categories -----------------------------

BBC_MEMBER = re.compile(r"(?:^|/)bbc/([a-z]+)/(\d+)\.txt$")


def parse_bbc(path: Path) -> pd.DataFrame:
    """Articles from `bbc/<category>/NNN.txt`: headline on the first line, then the body."""
    rows = []
    with reading(path), zipfile.ZipFile(path) as archive:
        for member in sorted(archive.namelist()):
            if match := BBC_MEMBER.search(member):
                rows.append({"task": "BBC", "text": decode(archive.read(member)).strip(),
                             "label": match.group(1)})
    if not rows:
        raise CorruptArchiveError(f"{path} holds no bbc/<category>/NNN.txt articles")
    return pd.DataFrame(rows)


def split_bbc(frame: pd.DataFrame, seed: int) -> pd.Series:
    """70/10/20 stratified by category; exact duplicate articles (98 upstream) stay in one split."""
    return stratified_grouped_split(frame.label, frame.text, seed)


# --- FDU-MTL: the 16 sentiment tasks of Liu, Qiu & Huang (2017) --------------------------------

FDU_MEMBER = re.compile(r"(?:^|/)([^/]+)\.task\.(train|test|unlabel)$")


def parse_fdu_mtl(path: Path) -> pd.DataFrame:
    """`<task>.task.{train,test}` lines are `label<TAB>text`; `.unlabel` lines are texts alone.

    Lines are split on `\\n` only: `str.splitlines()` would also break inside
    reviews at characters such as U+0085 and U+2028.
    """
    frames = []
    with reading(path), tarfile.open(path, "r:gz") as archive:
        for member in archive:
            match = FDU_MEMBER.search(member.name)
            if not (match and member.isfile()):
                continue
            task, part = match.groups()
            lines = [line.rstrip("\r") for line in decode(archive.extractfile(member).read()).split("\n")]
            frames.append(_fdu_rows(task, part, [line for line in lines if line.strip()], member.name))
    if not frames:
        raise CorruptArchiveError(f"{path} holds no <task>.task.<split> files")
    return pd.concat(frames, ignore_index=True).sort_values(["task", "split"], kind="stable", ignore_index=True)


def _fdu_rows(task: str, part: str, lines: list[str], member: str) -> pd.DataFrame:
    if part == "unlabel":
        return pd.DataFrame({"task": task, "text": [line.strip() for line in lines],
                             "label": "", "split": "unlabeled"})
    labels, texts = zip(*(line.split("\t", 1) if "\t" in line else ("", line) for line in lines))
    if bad := sorted(set(labels) - {"0", "1"}):
        raise DataError(f"{member}: labels must be 0 or 1, found {bad[:3]}")
    rows = pd.DataFrame({"task": task, "text": [text.strip() for text in texts],
                         "label": [FDU_LABELS[int(label)] for label in labels], "split": part})
    return rows[rows.text != ""]  # upstream flaw: sports_outdoors.task.train line 1121 is a label alone


def split_fdu_mtl(frame: pd.DataFrame, seed: int) -> pd.Series:
    """Upstream's test set as given; 200 random rows of each train file become dev, as in the paper."""
    split = frame.split.copy()
    rng = np.random.default_rng(seed)
    for _, rows in frame[frame.split == "train"].groupby("task", sort=True):
        split[rng.choice(rows.index.to_numpy(), size=FDU_DEV_ROWS, replace=False)] = "dev"
    return split


def same_labels(names: tuple[str, ...], tasks: tuple[str, ...] | None = None
                ) -> Callable[[pd.DataFrame], dict[str, tuple[str, ...]]]:
    """Every task gets the same label set; tasks in the given order, else sorted by name."""
    return lambda frame: {task: names for task in (tasks or sorted(frame.task.unique()))}


SOURCES: dict[str, Source] = {
    source.name: source for source in (
        Source(
            name="news",
            description="UCI News Aggregator headlines; five publishers are five tasks, label = category",
            archive=Archive(
                url="https://archive.ics.uci.edu/ml/machine-learning-databases/00359/NewsAggregatorDataset.zip",
                filename="NewsAggregatorDataset.zip",
                sha256=None,
                mirror_filename="NewsAggregatorDataset-5pub.zip",
                mirror_sha256="4a13957e934c937b58dc9630d2fb3472d845e8872e08e7dc414c2bf3854bbd8b",
            ),
            parse=parse_news, split=split_news,
            label_names=same_labels(tuple(NEWS_CATEGORIES.values()), NEWS_PUBLISHERS),
            licence="CC BY 4.0 (Gasparetti 2016, UCI Machine Learning Repository)",
        ),
        Source(
            name="bbc",
            description="BBC News articles 2004-2005 (headline + body); one task, five categories",
            archive=Archive(
                url="http://mlg.ucd.ie/files/datasets/bbc-fulltext.zip",
                filename="bbc-fulltext.zip",
                sha256="a351031a62325b3d7ff13146eeb035c22feca8290913b5183d1ff3be35109495",
                mirror_filename="bbc-fulltext.zip",
                mirror_sha256="db6978724f69e2aacb540997ec30488ec4ef7f827b3612654b5812fbea8374e1",
            ),
            parse=parse_bbc, split=split_bbc,
            label_names=same_labels(("business", "entertainment", "politics", "sport", "tech")),
            licence="copyright BBC; non-commercial research and teaching (Greene & Cunningham 2006)",
        ),
        Source(
            name="fdu-mtl",
            description="FDU-MTL: 16 review domains as tasks, binary sentiment (Liu, Qiu & Huang 2017)",
            archive=Archive(
                url="https://github.com/FrankWork/fudan_mtl_reviews/raw/master/data/fudan-mtl-dataset.tar.gz",
                filename="fudan-mtl-dataset.tar.gz",
                sha256=None,
                mirror_filename="mtl-dataset.tar.gz",
                mirror_sha256="3ed0f456076d0a1c857b61507b243317c1c077c97b6180311dd57b0df59bffbb",
            ),
            parse=parse_fdu_mtl, split=split_fdu_mtl,
            label_names=same_labels(FDU_LABELS),
            licence="research use (Fudan NLP; Blitzer et al. 2007, Maas et al. 2011, Pang & Lee 2005)",
        ),
    )
}
