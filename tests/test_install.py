"""The wheel, installed into a fresh virtual environment beside an application that has its own
`workflow`, `storage`, `states` and `cli` modules (examples/embedding, the README's Embedding
example): both run, the `cee` command is ours, and the application type-checks with
`mypy --strict` against the installed package (py.typed) — which mypy cannot do through the
editable install's import hook, hence the fresh environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "embedding"
TIMEOUT = 300


def run(*argv: str | Path, cwd: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True,
                          env=env or clean_env(), timeout=TIMEOUT)
    assert done.returncode == 0, (f"{' '.join(map(str, argv))} exited {done.returncode}\n"
                                  f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
    return done


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without this checkout's venv or paths (pip's configuration is kept)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "CEE_DATABASE_URL",
                        "CEE_ACTOR")}
    return {**env, **extra}


class Installed:
    def __init__(self, root: Path):
        self.root = root
        self.wheel = next((root / "dist").glob("cee_workflow-*.whl"))
        self.venv = root / "venv"
        self.bin = self.venv / ("Scripts" if os.name == "nt" else "bin")
        self.python = self.bin / "python"
        self.app = root / "app"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    root = tmp_path_factory.mktemp("install")
    # Built from a copy of the sources: a build directory left in the checkout (which is the
    # package directory) could otherwise carry stale modules into the wheel.
    source = root / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
        ".hypothesis", "*.db", "*.db-*"))
    run(sys.executable, "-m", "pip", "wheel", source, "--no-deps", "-q", "-w", root / "dist",
        cwd=root)
    where = Installed(root)
    run(sys.executable, "-m", "venv", where.venv, cwd=root)
    run(where.python, "-m", "pip", "install", "-q", where.wheel, "mypy", cwd=root)
    shutil.copytree(EXAMPLE, where.app, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    return where


def test_the_wheel_installs_one_top_level_package_with_its_annotations(installed):
    names = zipfile.ZipFile(installed.wheel).namelist()
    top = {name.split("/", 1)[0] for name in names}
    assert top == {"cee_workflow", installed.wheel.name.split("-py")[0] + ".dist-info"}, top
    assert "cee_workflow/py.typed" in names
    assert "cee_workflow/workflow/engine.py" in names and "cee_workflow/cli.py" in names
    assert not [n for n in names if n.startswith(("cee_workflow/tests/",
                                                  "cee_workflow/benchmarks/",
                                                  "cee_workflow/examples/"))]
    record = next(n for n in names if n.endswith(".dist-info/RECORD"))
    listed = {line.split(",", 1)[0].split("/", 1)[0]
              for line in zipfile.ZipFile(installed.wheel).read(record).decode().splitlines()}
    assert listed == top
    metadata = zipfile.ZipFile(installed.wheel).read(
        next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: Apache-2.0" in metadata
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_an_application_with_clashing_module_names_embeds_the_engine(installed):
    done = run(installed.python, "app.py", f"sqlite:///{installed.app / 'cee.db'}",
               cwd=installed.app)
    lines = done.stdout.splitlines()
    assert lines[0] == "center 007 may: allow, allow_in_part, deny"
    protest = lines[1].strip("[']")
    assert protest.startswith("PR-2704") and lines[1] == f"['{protest}']"
    # The application's own `states` labels the engine's state; its own `storage` journals the
    # events the engine's subscribers heard; its own `workflow` holds the structured refusal.
    assert lines[2] == f"{protest} Accepted for review 2 events, 2 deadlines"
    assert lines[3:8] == ["1 LQ-11272966778 record_entry", "2 LQ-11272966778 schedule",
                          "3 LQ-11272966778 liquidate", f"4 {protest} file",
                          f"5 {protest} accept"]
    assert lines[8].startswith(f"not_permitted {protest} accept 19 CFR 174.12")
    # Its own modules are the ones imported, and the engine's are under cee_workflow.
    done = run(installed.python, "-c", "import cli, storage, workflow, states, cee_workflow; "
               "import cee_workflow.cli as ours; "
               "print(cli.__file__, storage.__file__, ours.__file__, sep='\\n')",
               cwd=installed.app)
    app_cli, app_storage, engine_cli = (Path(p) for p in done.stdout.split())
    assert app_cli.parent == app_storage.parent.parent == installed.app
    assert installed.venv in engine_cli.parents
    assert run(installed.python, "app.py", "--cli", cwd=installed.app).stdout == "hostapp cli\n"


def test_the_cee_command_is_ours_even_beside_an_application_cli(installed):
    env = clean_env(PYTHONPATH=str(installed.app))  # the application's `cli` comes first
    cee = installed.bin / "cee"
    assert run(cee, "--help", cwd=installed.app, env=env).stdout.startswith("Usage: cee")
    done = run(cee, "--json", "demo", "--db", f"sqlite:///{installed.root / 'demo.db'}",
               cwd=installed.app, env=env)
    assert done.stdout.lstrip().startswith("[") and "PR-2704" in done.stdout


def test_the_application_type_checks_strictly_against_the_installed_wheel(installed):
    done = run(installed.python, "-m", "mypy", "--strict", "--no-error-summary",
               "--cache-dir", installed.root / "mypy-cache", "app.py", cwd=installed.app)
    assert done.stdout == ""
    # …and the check is real: a misuse of the public API is an error.
    bad = installed.app / "misuse.py"
    bad.write_text("from cee_workflow import Engine\n\n"
                   "cases: list[str] = Engine('sqlite://').list_cases()\n"
                   "Engine('sqlite://').list()\n")
    done = subprocess.run([str(installed.python), "-m", "mypy", "--strict",
                           "--cache-dir", str(installed.root / "mypy-cache"), "misuse.py"],
                          cwd=installed.app, capture_output=True, text=True, env=clean_env(),
                          timeout=TIMEOUT)
    assert done.returncode == 1, done.stdout
    assert 'has type "list[CaseView]", variable has type "list[str]"' in done.stdout
    assert '"Engine" has no attribute "list"' in done.stdout
