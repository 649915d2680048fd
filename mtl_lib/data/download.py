"""Fetching archives: from a local mirror, from the cache, or from upstream.

Whatever the path, a file is only ever handed on after its SHA-256 has been
checked, and a download is written to a temporary file that is renamed into
place only when complete: an interrupted or failed download never leaves a
file that looks finished.
"""

import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from mtl_lib import config
from mtl_lib.errors import ChecksumError, DownloadError
from mtl_lib.files import atomic_path, sha256_of

CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Archive:
    """One upstream file: where it lives, what it is called, how to check it.

    The offline mirror may hold a different file under another name (the news
    mirror is a five-publisher subset of upstream's zip), so it has its own
    name and checksum.
    """

    url: str
    filename: str
    sha256: str | None
    mirror_filename: str
    mirror_sha256: str


def verify(path: Path, expected: str | None) -> None:
    """Raise `ChecksumError` unless `path` has the expected SHA-256 (None: nothing to check)."""
    if expected is None:
        return
    actual = sha256_of(path)
    if actual != expected:
        raise ChecksumError(
            f"{path} has SHA-256 {actual}, expected {expected}: the file is damaged "
            "or not the one this course was built on. Delete it and fetch it again."
        )


def fetch(archive: Archive, cache_dir: Path | None = None, mirror: Path | None = None) -> Path:
    """Return the path of a checked copy of `archive`, downloading it if needed.

    With a mirror (`MTL_DATA_MIRROR`, or `mirror=`) the archive is read from there
    and never downloaded; otherwise it is cached in `cache_dir` (`MTL_DATA_DIR`,
    default `data/`). Example: `fetch(SOURCES["news"].archive)`.
    """
    mirror = mirror if mirror is not None else config.data_mirror()
    if mirror is not None:
        return _from_mirror(archive, Path(mirror))
    cache_dir = Path(cache_dir) if cache_dir is not None else config.data_dir()
    cached = cache_dir / archive.filename
    if cached.exists():
        try:
            verify(cached, archive.sha256)
            return cached
        except ChecksumError:
            cached.unlink()  # a damaged cache entry is replaced, never used
    cache_dir.mkdir(parents=True, exist_ok=True)
    download(archive.url, cached, archive.sha256)
    return cached


def _from_mirror(archive: Archive, mirror: Path) -> Path:
    path = mirror / archive.mirror_filename
    if not path.is_file():
        raise DownloadError(
            f"the mirror folder {mirror} (MTL_DATA_MIRROR) has no {archive.mirror_filename}. "
            f"Copy the file there, or unset MTL_DATA_MIRROR to download it from {archive.url}"
        )
    verify(path, archive.mirror_sha256)
    return path


def download(url: str, target: Path, sha256: str | None) -> None:
    """Download `url` to `target` atomically: a temporary file, checked, then renamed."""
    try:
        with atomic_path(target) as partial, open(partial, "wb") as out, \
                urllib.request.urlopen(url, timeout=60) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=target.name) as progress:
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    progress.update(len(chunk))
            out.flush()
            verify(partial, sha256)
    except (urllib.error.URLError, OSError) as exc:
        raise DownloadError(
            f"could not download {url} ({exc}). Check the internet connection, or set "
            f"MTL_DATA_MIRROR to a folder that holds {target.name}"
        ) from exc
