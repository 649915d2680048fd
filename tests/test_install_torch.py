"""The set-up takes torch from PyTorch's CPU index only where PyPI's build would be CUDA, and falls
back to pip's own index at once when that index cannot be reached."""

import importlib.util
import socket
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("install_torch", ROOT / "scripts" / "install_torch.py")
install_torch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(install_torch)

PIN = "torch==2.13.0"


def test_only_linux_without_an_nvidia_gpu_asks_the_cpu_index():
    assert install_torch.wants_cpu_index("Linux", nvidia_gpu=False)
    assert not install_torch.wants_cpu_index("Linux", nvidia_gpu=True)
    assert not install_torch.wants_cpu_index("Darwin", nvidia_gpu=False)
    assert not install_torch.wants_cpu_index("Windows", nvidia_gpu=False)


def test_the_cpu_index_is_used_when_it_answers_and_never_elsewhere():
    command, _ = install_torch.pip_command(PIN, "Linux", False, index_answers=lambda url: True)
    assert command[-3:] == [PIN, "--index-url", install_torch.CPU_INDEX]
    for system, gpu in [("Linux", True), ("Darwin", False)]:
        command, _ = install_torch.pip_command(PIN, system, gpu, index_answers=lambda url: True)
        assert "--index-url" not in command and command[-1] == PIN


def test_an_unreachable_index_falls_back_to_pip_own_index_and_says_so():
    command, reason = install_torch.pip_command(PIN, "Linux", False, index_answers=lambda url: False)
    assert "--index-url" not in command and "did not answer" in reason


def test_a_refused_port_is_seen_at_once():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: connections are refused
    started = time.perf_counter()
    assert not install_torch.answers(f"http://127.0.0.1:{port}/whl/cpu")
    assert time.perf_counter() - started < 1


def test_a_server_that_never_answers_costs_the_probe_time_not_pip_retries():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts connections and never replies
        started = time.perf_counter()
        assert not install_torch.answers(f"http://127.0.0.1:{silent.getsockname()[1]}/whl/cpu", seconds=0.5)
        assert time.perf_counter() - started < 2


def test_an_index_that_answers_even_with_an_error_status_counts_as_reachable():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()

        def refuse_once():
            connection, _ = server.accept()
            connection.recv(1024)
            connection.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            connection.close()

        threading.Thread(target=refuse_once, daemon=True).start()
        assert install_torch.answers(f"http://127.0.0.1:{server.getsockname()[1]}/whl/cpu", seconds=2)


def test_an_installed_torch_of_the_pinned_release_is_kept_whatever_its_local_label():
    assert install_torch.meets("2.13.0+cpu", PIN) and install_torch.meets("2.13.0", PIN)
    assert not install_torch.meets("2.12.1+cu121", PIN) and not install_torch.meets(None, PIN)


def test_the_pin_comes_from_requirements():
    assert install_torch.pinned_torch() in (ROOT / "requirements.txt").read_text().splitlines()
