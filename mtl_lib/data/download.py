"""Fetching archives: from a local mirror, from the cache, or from upstream.

Whatever the path, a file is only ever handed on after its SHA-256 has been
checked (where one is known), and a download is written to a temporary file that
is renamed into place only when complete: as many bytes as the server announced,
retried and resumed when the connection drops. An interrupted or failed download
never leaves a file that looks finished.
"""

import http.client
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from mtl_lib import config
from mtl_lib.errors import ChecksumError, DownloadError
from mtl_lib.files import atomic_path, sha256_of

CHUNK_BYTES = 1 << 20
READ_SECONDS = 60  # the longest wait for the next bytes
TOTAL_SECONDS = 30 * 60  # the longest a whole download may take, retries included
RETRY_SECONDS = (1, 4, 16)  # the pauses before the second, third and fourth attempts


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


def verify(path: Path, expected: str | None, advice: str = "delete it and fetch it again") -> None:
    """Raise `ChecksumError` unless `path` has the expected SHA-256 (None: nothing to check)."""
    if expected is None:
        return
    actual = sha256_of(path)
    if actual != expected:
        raise ChecksumError(
            f"{path} has SHA-256 {actual}, expected {expected}: the file is damaged "
            f"or not the one this course was built on; {advice}"
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
    remove_stale_parts(cache_dir, archive.filename)
    download(archive.url, cached, archive.sha256, archive.mirror_filename)
    return cached


def _from_mirror(archive: Archive, mirror: Path) -> Path:
    path = mirror / archive.mirror_filename
    if not path.is_file():
        raise DownloadError(
            f"the mirror folder {mirror} (MTL_DATA_MIRROR) has no {archive.mirror_filename}. "
            f"Copy the file there, or unset MTL_DATA_MIRROR to download it from {archive.url}"
        )
    verify(path, archive.mirror_sha256, advice=f"copy {archive.mirror_filename} into the mirror again "
                                               "(see data/README.md), or unset MTL_DATA_MIRROR to download it")
    return path


def download(url: str, target: Path, sha256: str | None, mirror_filename: str | None = None,
             total_seconds: float = TOTAL_SECONDS) -> None:
    """Download `url` to `target` atomically: a temporary file, complete and checked, then renamed.

    A dropped or short transfer (fewer bytes than the server's Content-Length) is retried after
    a back-off, resuming where the server allows it (HTTP Range); the transfer as a whole gives
    up after `total_seconds`, and a stalled read after `READ_SECONDS`.
    """
    deadline = time.monotonic() + total_seconds
    try:
        with atomic_path(target) as partial:
            for pause in (*RETRY_SECONDS, None):
                try:
                    _transfer(url, partial, deadline)
                    break
                except urllib.error.HTTPError as exc:
                    if (exc.code < 500 and exc.code not in (408, 429)) or pause is None:
                        raise  # the server refused this file: asking again will not change its mind
                except (urllib.error.URLError, OSError, http.client.HTTPException):
                    if pause is None or time.monotonic() + pause > deadline:
                        raise
                time.sleep(pause)
            verify(partial, sha256, advice=(
                "downloading it again will not help: upstream's file is not the one this course was built "
                f"on. Put the course's copy of {mirror_filename or target.name} in a folder and set "
                "MTL_DATA_MIRROR to it"))
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise DownloadError(
            f"could not download {url} ({exc}). Check the internet connection, or set "
            f"MTL_DATA_MIRROR to a folder that holds {mirror_filename or target.name}"
        ) from exc


class ShortTransferError(OSError):
    """The server closed the connection before sending every byte it announced."""


def _transfer(url: str, partial: Path, deadline: float) -> None:
    """Append to `partial` what it lacks of `url` (all of it when the server ignores Range)."""
    have = partial.stat().st_size
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    with urllib.request.urlopen(request, timeout=READ_SECONDS) as response:
        if getattr(response, "status", 200) != 206:
            have = 0  # a whole file, from its first byte
        length = response.headers.get("Content-Length")
        expected = have + int(length) if length else None
        name = url.rsplit("/", 1)[-1]
        with open(partial, "ab" if have else "wb") as out, \
                tqdm(total=expected, initial=have, unit="B", unit_scale=True, desc=name) as progress:
            read = getattr(response, "read1", response.read)  # read1: what has arrived, so a trickle is timed
            while chunk := read(CHUNK_BYTES):
                if time.monotonic() > deadline:
                    raise TimeoutError("the transfer took longer than it is allowed in all")
                out.write(chunk)
                progress.update(len(chunk))
    received = partial.stat().st_size
    if expected is not None and received < expected:
        raise ShortTransferError(f"received {received:,} of {expected:,} bytes")


def remove_stale_parts(directory: Path, filename: str, older_than: float = TOTAL_SECONDS) -> None:
    """Remove what killed downloads of `filename` left in `directory`: older than any live transfer can be."""
    for part in directory.glob(f".{filename}.*.part"):
        if time.time() - part.stat().st_mtime > older_than:
            part.unlink(missing_ok=True)
