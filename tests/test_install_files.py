"""The install files agree: environment.yml, requirements.txt and pyproject.toml name the same packages."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def name_of(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pyproject_names() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    every = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    return {name_of(r) for r in every}


def requirements() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def environment_pip() -> list[str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    return [line for line in pip if not line.startswith("-")]


def test_environment_and_pyproject_name_the_same_packages():
    assert {name_of(r) for r in environment_pip()} == pyproject_names()


def test_environment_pins_exactly_what_requirements_pins():
    assert sorted(environment_pip()) == sorted(requirements())


def test_every_requirement_is_pinned_and_torch_is_the_checked_cpu_pin():
    assert all("==" in r for r in requirements())
    assert "torch==2.13.0" in requirements()


def test_pyproject_keeps_a_range_for_torch_so_colab_keeps_its_own():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    torch = next(r for r in project["dependencies"] if name_of(r) == "torch")
    assert "==" not in torch and ">=" in torch


def test_environment_uses_conda_forge_and_the_cpu_torch_index():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert environment["channels"] == ["conda-forge"]
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in pip
