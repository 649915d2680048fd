"""Downloads over real HTTP from a local server that truncates, ignores Range, stalls or trickles."""

import http.server
import os
import threading
import time

import pytest

from mtl_lib.data import download as download_module
from mtl_lib.data.download import Archive, download, fetch
from mtl_lib.errors import ChecksumError, DownloadError

BODY = bytes(range(256)) * 400  # 102,400 bytes


class Upstream(http.server.BaseHTTPRequestHandler):
    """Serves BODY; `behaviour` says how it misbehaves on which request."""

    behaviour = "truncate-once"
    requests: list[str | None] = []

    def do_GET(self):  # noqa: N802 - the base class's name
        Upstream.requests.append(self.headers.get("Range"))
        first = len(Upstream.requests) == 1
        start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
        honour_range = Upstream.behaviour != "ignore-range" and start
        body = BODY[start:] if honour_range else BODY
        self.send_response(206 if honour_range else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if Upstream.behaviour == "trickle":
            for i in range(0, len(body), 100):
                self.wfile.write(body[i:i + 100])
                self.wfile.flush()
                time.sleep(0.05)
        elif Upstream.behaviour == "stall":
            self.wfile.write(body[:1000])
            self.wfile.flush()
            time.sleep(3)
        elif Upstream.behaviour == "truncate-always" or first:
            self.wfile.write(body[: len(body) // 2])  # then the connection closes, short of Content-Length
        else:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream():
    Upstream.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/archive.zip"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(download_module, "RETRY_SECONDS", (0, 0, 0))
    monkeypatch.setattr(download_module, "READ_SECONDS", 0.5)


def test_a_truncated_transfer_is_resumed_from_where_it_stopped(upstream, tmp_path):
    Upstream.behaviour = "truncate-once"
    download(upstream, tmp_path / "archive.zip", None)
    assert (tmp_path / "archive.zip").read_bytes() == BODY
    assert Upstream.requests == [None, f"bytes={len(BODY) // 2}-"]
    assert os.listdir(tmp_path) == ["archive.zip"]


def test_a_server_that_ignores_range_sends_it_whole_again(upstream, tmp_path):
    Upstream.behaviour = "ignore-range"
    download(upstream, tmp_path / "archive.zip", None)
    assert (tmp_path / "archive.zip").read_bytes() == BODY


def test_a_transfer_that_always_ends_short_is_never_taken_for_the_file(upstream, tmp_path):
    Upstream.behaviour = "truncate-always"
    with pytest.raises(DownloadError, match="received 96,000 of 102,400 bytes"):
        download(upstream, tmp_path / "archive.zip", None)
    assert os.listdir(tmp_path) == [] and len(Upstream.requests) == 4


def test_a_stalled_read_and_a_trickle_are_given_up_on(upstream, tmp_path):
    Upstream.behaviour = "stall"
    started = time.monotonic()
    with pytest.raises(DownloadError, match="timed out"):
        download(upstream, tmp_path / "archive.zip", None)
    Upstream.behaviour = "trickle"  # never stalls for READ_SECONDS, but would take 50 s in all
    with pytest.raises(DownloadError, match="longer than it is allowed in all"):
        download(upstream, tmp_path / "archive.zip", None, total_seconds=1)
    assert time.monotonic() - started < 15 and os.listdir(tmp_path) == []


def test_the_hints_name_the_file_the_mirror_needs_and_a_bad_checksum_is_not_fetched_again(upstream, tmp_path,
                                                                                          monkeypatch):
    monkeypatch.delenv("MTL_DATA_MIRROR", raising=False)
    archive = Archive(url=upstream.replace("archive.zip", "gone.zip"), filename="upstream-name.zip", sha256="0" * 64,
                      mirror_filename="mirror-name.zip", mirror_sha256="0" * 64)
    Upstream.behaviour = "truncate-always"
    with pytest.raises(DownloadError, match="holds mirror-name.zip"):
        fetch(archive, cache_dir=tmp_path)
    Upstream.behaviour = "truncate-once"
    with pytest.raises(ChecksumError, match="downloading it again will not help.*mirror-name.zip"):
        fetch(archive, cache_dir=tmp_path)


def test_parts_left_by_a_killed_download_are_removed_by_the_next_fetch(upstream, tmp_path, monkeypatch):
    monkeypatch.delenv("MTL_DATA_MIRROR", raising=False)
    stale, live = tmp_path / ".archive.zip.k1ll3d.part", tmp_path / ".archive.zip.runn1ng.part"
    stale.write_bytes(b"half")
    live.write_bytes(b"being written by another process")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    Upstream.behaviour = "truncate-once"
    archive = Archive(url=upstream, filename="archive.zip", sha256=None, mirror_filename="a.zip", mirror_sha256="0")
    assert fetch(archive, cache_dir=tmp_path).read_bytes() == BODY
    assert not stale.exists() and live.exists()
