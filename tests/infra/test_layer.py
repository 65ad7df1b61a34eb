"""The Lambda layer: its pinned dependencies and the layout its Makefile produces.

The Makefile runs here without downloads (PIP is a fake that records its arguments), from a
directory that is not layers/newswire, as `sam build` runs it from its scratch copy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from tests import programs

REPO = Path(__file__).resolve().parents[2]
LAYER = REPO / "layers" / "newswire"
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath"}


def pins(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            name, _, version = requirement.partition("==")
            assert version, f"{requirement!r} is not pinned with =="
            found[name.strip().lower().replace("_", "-")] = version.strip()
    return found


def test_layer_requirements_are_the_projects_minus_what_the_runtime_provides() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    expected = {
        name: version
        for name, version in pins(project["dependencies"]).items()
        if name not in RUNTIME_PROVIDED
    }
    layer = pins((LAYER / "requirements.txt").read_text(encoding="utf-8").splitlines())
    assert layer == expected


FAKE_PIP = """\
import sys
from pathlib import Path

args = sys.argv[1:]
target = Path(args[args.index("--target") + 1])
for name in ("yaml", "botocore", "botocore-1.44.8.dist-info", "jmespath", "bin"):
    (target / name).mkdir(parents=True, exist_ok=True)
(target / "arguments").write_text("\\n".join(args))
"""


def run_layer_make(cwd: Path, *variables: str) -> subprocess.CompletedProcess[str]:
    """The layer Makefile as `sam build` runs it: by path, from another directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(
        [
            programs.program("make", "apt-get install make"),
            "--no-print-directory",
            "-f",
            str(LAYER / "Makefile"),
            "build-NewswireLayer",
            *variables,
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_makefile_lays_out_python_and_the_bundled_feeds(tmp_path: Path) -> None:
    fake_pip = tmp_path / "pip.py"
    fake_pip.write_text(FAKE_PIP, encoding="utf-8")
    artifacts = tmp_path / "artifacts"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result = run_layer_make(
        scratch,
        f"ARTIFACTS_DIR={artifacts}",
        f"PIP={sys.executable} {fake_pip}",
        "LAYER_RUNTIME=python3.12",
        "LAYER_ARCH=x86_64",
    )
    assert result.returncode == 0, result.stderr
    site = artifacts / "python"
    arguments = (site / "arguments").read_text(encoding="utf-8").split("\n")
    for option, value in [("--platform", "manylinux2014_x86_64"), ("--python-version", "3.12")]:
        assert arguments[arguments.index(option) + 1] == value
    assert "--only-binary=:all:" in arguments
    assert (site / "newswire" / "__init__.py").is_file()
    assert not list(site.rglob("__pycache__"))
    left = {p.name for p in site.iterdir()}
    assert "yaml" in left
    assert not {"botocore", "botocore-1.44.8.dist-info", "jmespath", "bin"} & left
    bundled = artifacts / "newswire" / "feeds.yaml"
    assert bundled.read_bytes() == (REPO / "feeds.yaml").read_bytes()
    assert sorted(p.name for p in artifacts.iterdir()) == ["newswire", "python"]


def test_the_makefile_refuses_an_unknown_architecture(tmp_path: Path) -> None:
    result = run_layer_make(tmp_path, f"ARTIFACTS_DIR={tmp_path}", "LAYER_ARCH=amd64", "PIP=true")
    assert result.returncode != 0
    assert "LAYER_ARCH must be arm64 or x86_64" in result.stderr
