"""The download path, offline: a local mirror, file:// URLs and a broken connection."""

import dataclasses
import hashlib
import shutil
import urllib.request

import pytest

from mtl_lib import config
from mtl_lib.data import MultiTaskData
from mtl_lib.data import sources as sources_module
from mtl_lib.data import download as download_module
from mtl_lib.data.download import Archive, download, fetch
from mtl_lib.data.sources import SOURCES, parse_bbc, parse_fdu_mtl, parse_news
from mtl_lib.errors import ChecksumError, CorruptArchiveError, DownloadError


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture()
def payload(tmp_path):
    """A small 'upstream' file served from a file:// URL."""
    path = tmp_path / "upstream" / "archive.zip"
    path.parent.mkdir()
    path.write_bytes(b"PK-not-really-a-zip" * 1000)
    return path


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    """Retries without the back-off pauses, so that failing downloads fail in milliseconds."""
    monkeypatch.setattr(download_module, "RETRY_SECONDS", (0, 0, 0))


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir())


def test_download_writes_the_file_when_the_checksum_matches(tmp_path, payload):
    target = tmp_path / "cache" / "archive.zip"
    target.parent.mkdir()
    download(payload.as_uri(), target, sha256(payload.read_bytes()))
    assert target.read_bytes() == payload.read_bytes()
    assert leftovers(target.parent) == ["archive.zip"]


def test_download_with_a_wrong_checksum_leaves_nothing_behind(tmp_path, payload):
    target = tmp_path / "cache" / "archive.zip"
    target.parent.mkdir()
    with pytest.raises(ChecksumError, match="expected 0000"):
        download(payload.as_uri(), target, "0" * 64)
    assert leftovers(target.parent) == []


def test_an_interrupted_download_leaves_nothing_behind(tmp_path, payload, monkeypatch):
    class DroppedConnection:
        headers = {"Content-Length": "999999"}
        def __init__(self):
            self.calls = 0
        def read(self, size):
            self.calls += 1
            if self.calls > 1:
                raise ConnectionResetError("connection reset by peer")
            return b"x" * 100
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: DroppedConnection())
    target = tmp_path / "cache" / "archive.zip"
    target.parent.mkdir()
    with pytest.raises(DownloadError, match="connection reset"):
        download("https://example.invalid/archive.zip", target, None)
    assert leftovers(target.parent) == []


@pytest.fixture()
def online(monkeypatch):
    """No mirror: fetch goes to the archive's URL (here always a local file:// URL)."""
    monkeypatch.delenv("MTL_DATA_MIRROR", raising=False)


def test_fetch_replaces_a_damaged_cached_file(tmp_path, payload, online):
    good = payload.read_bytes()
    archive = Archive(url=payload.as_uri(), filename="archive.zip", sha256=sha256(good),
                      mirror_filename="archive.zip", mirror_sha256=sha256(good))
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "archive.zip").write_bytes(good[:100])  # truncated by an earlier crash
    path = fetch(archive, cache_dir=cache)
    assert path.read_bytes() == good


def test_an_unreachable_url_says_how_to_work_offline(tmp_path, online):
    archive = Archive(url=(tmp_path / "nowhere.zip").as_uri(), filename="a.zip", sha256=None,
                      mirror_filename="a.zip", mirror_sha256="0" * 64)
    with pytest.raises(DownloadError, match="MTL_DATA_MIRROR"):
        fetch(archive, cache_dir=tmp_path / "cache")
    assert leftovers(tmp_path / "cache") == []


@pytest.fixture()
def scratch_mirror(tmp_path, monkeypatch):
    """An empty mirror folder that MTL_DATA_MIRROR points at."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv("MTL_DATA_MIRROR", str(mirror))
    return mirror


@pytest.fixture(scope="session")
def real_archives():
    """The real archives' paths, resolved before any test points MTL_DATA_MIRROR elsewhere."""
    return {name: fetch(source.archive) for name, source in SOURCES.items()}


def test_missing_mirror_file_is_named(scratch_mirror):
    with pytest.raises(DownloadError, match="has no NewsAggregatorDataset-5pub.zip"):
        MultiTaskData.load("news")


def test_mirror_file_with_wrong_checksum_is_refused_and_kept(scratch_mirror):
    damaged = scratch_mirror / "bbc-fulltext.zip"
    damaged.write_bytes(b"not the archive")
    with pytest.raises(ChecksumError, match="SHA-256"):
        MultiTaskData.load("bbc")
    assert damaged.exists()  # a mirror is the user's folder: reported, never deleted


@pytest.mark.parametrize("name, parse", [("news", parse_news), ("bbc", parse_bbc), ("fdu-mtl", parse_fdu_mtl)])
def test_truncated_archives_are_reported_as_corrupt(tmp_path, real_archives, name, parse):
    source = real_archives[name]
    truncated = tmp_path / source.name
    truncated.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    with pytest.raises(CorruptArchiveError, match="corrupt or truncated"):
        parse(truncated)


def test_a_corrupt_download_without_a_published_checksum_is_removed_from_the_cache(
        tmp_path, real_archives, monkeypatch, online):
    """Upstream publishes no checksum for the news archive: the parser is the last line of defence."""
    source = real_archives["news"]
    upstream = tmp_path / "upstream.zip"
    upstream.write_bytes(source.read_bytes()[:5000])
    unchecked = dataclasses.replace(SOURCES["news"].archive, url=upstream.as_uri(), sha256=None)
    monkeypatch.setitem(sources_module.SOURCES, "news", dataclasses.replace(SOURCES["news"], archive=unchecked))
    monkeypatch.setenv("MTL_DATA_DIR", str(tmp_path / "cache"))
    with pytest.raises(CorruptArchiveError):
        MultiTaskData.load("news")
    assert leftovers(tmp_path / "cache") == []


def test_a_good_mirror_copy_loads(real_archives, scratch_mirror):
    shutil.copy(real_archives["bbc"], scratch_mirror / "bbc-fulltext.zip")
    assert len(MultiTaskData.load("bbc").frame) == 2225


def test_a_relative_mirror_path_starts_at_the_project_root(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # as a notebook kernel does: another working directory
    monkeypatch.setenv("MTL_DATA_MIRROR", "some/mirror")
    assert config.data_mirror() == config.CHECKOUT / "some" / "mirror"
