"""`scada-emu completion bash|zsh`: the script completes commands, options, choices and the
shipped scenario names, in a real bash (docs/running.md, "Shell completion")."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.cli import main

BASH = shutil.which("bash")


def script(shell: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "completion", shell],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout


@pytest.mark.skipif(BASH is None, reason="no bash on this host")
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (["ru"], {"run"}),
        (["sc"], {"scenarios", "schema"}),
        (["run", "fail"], {"failover"}),
        (["run", "--log-l"], {"--log-level"}),
        (["run", "--log-level", "w"], {"warning"}),
        (["process", "cr"], {"crash"}),
        (["fault", "cl"], {"clear"}),
        (["completion", "z"], {"zsh"}),
    ],
)
def test_bash_completes(line: list[str], expected: set[str], tmp_path: Path) -> None:
    assert BASH is not None
    words = " ".join(["scada-emu", *line])
    probe = (
        f"{script('bash')}\n"
        f"COMP_WORDS=({words}); COMP_CWORD={len(line)}; _scada_emu; "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(  # in an empty folder: no file names among the answers
        [BASH, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert set(done.stdout.split()) == expected, done.stderr


def test_zsh_uses_the_same_function_through_bashcompinit() -> None:
    text = script("zsh")
    assert text.startswith("autoload -U +X bashcompinit && bashcompinit\n")
    assert "complete -o filenames -F _scada_emu scada-emu" in text


def test_an_unknown_shell_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["completion", "fish"])
    assert exited.value.code == 2
    assert "invalid choice: 'fish' (choose from 'bash', 'zsh')" in capsys.readouterr().err
