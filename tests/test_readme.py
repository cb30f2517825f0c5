"""Every code block of README.md runs as written.

* The ``python`` blocks run in order in one fresh interpreter, as a reader pasting
  them would, under Hypothesis's *default* settings (not this suite's profile, which
  lifts the deadline): a ``test_*`` function a block defines is called, so the README's
  property test must pass as a user would run it.
* The ``bash`` blocks run line by line in a temporary folder (``PGM_DATA_DIR`` set as
  in CI), except the two set-up commands, which CI itself runs: the install and the
  test command.  A line may not fail unless it is a documented negative answer
  (``pgm check`` of a broken model exits 1 by design): exit codes are compared with the
  ``# exit N`` comment on the line when there is one, else must be 0.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
SETUP_PREFIXES = ("pip install", "PGM_DATA_DIR=../shared/data python -m pytest")


def _blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)


def _commands() -> list[str]:
    out = []
    for block in _blocks("bash"):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            while line.endswith("\\") and i + 1 < len(lines):  # continued lines
                i += 1
                line = line[:-1] + " " + lines[i].strip()
            i += 1
            if line.strip() and not line.lstrip().startswith("#"):
                out.append(line.strip())
    return out


def test_the_readme_has_its_two_setup_commands():
    commands = _commands()
    assert any(c.startswith("pip install -e") and "pgm demo" in c for c in commands)
    assert any(c.startswith(SETUP_PREFIXES[1]) for c in commands)


def test_python_blocks_run_in_order(tmp_path):
    blocks = _blocks("python")
    assert blocks, "README.md has no python block"
    script = "\n\n".join(blocks)
    runner = (
        "import sys\n"
        "from hypothesis import settings\n"
        "settings.load_profile('default')\n"
        f"ns = {{'__name__': '__readme__'}}\n"
        f"exec(compile(open({str(tmp_path / 'readme.py')!r}).read(), 'README.md', 'exec'), ns)\n"
        "for name, obj in list(ns.items()):\n"
        "    if name.startswith('test_') and callable(obj):\n"
        "        obj()\n"
        "        print('passed', name)\n"
    )
    (tmp_path / "readme.py").write_text(script, encoding="utf-8")
    env = {**os.environ, "PGM_DATA_DIR": os.environ.get("PGM_DATA_DIR", "../shared/data")}
    env.pop("HYPOTHESIS_PROFILE", None)
    out = subprocess.run([sys.executable, "-c", runner], cwd=tmp_path, capture_output=True, text=True,
                         env=env, timeout=600, check=False)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "passed test_" in out.stdout, "the README's property test was not run"


def _runnable() -> list[str]:
    return [c for c in _commands() if not c.startswith(SETUP_PREFIXES)]


@pytest.mark.parametrize("command", _runnable())
def test_bash_lines_run(command, tmp_path):
    data = Path(os.environ.get("PGM_DATA_DIR", "../shared/data")).resolve()
    if "$PGM_DATA_DIR" in command and not data.is_dir():
        pytest.skip("PGM_DATA_DIR is not there")
    m = re.search(r"#\s*exit\s+(\d+)\s*$", command)
    expected = int(m.group(1)) if m else 0
    line = command.split(" #", 1)[0] if m or " # " in command else command
    env = {**os.environ, "PGM_DATA_DIR": str(data)}
    out = subprocess.run(["bash", "-c", line], cwd=tmp_path, capture_output=True, text=True,
                         env=env, timeout=600, check=False)
    assert out.returncode == expected, (f"{shlex.quote(line)} exited {out.returncode}:\n"
                                        f"{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
