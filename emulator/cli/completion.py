"""`scada-emu completion bash|zsh`: a shell completion script made from the option parser
itself, so it never falls behind a command (no extra dependency: docs/architecture.md).
Documented in docs/running.md ("Shell completion")."""

from __future__ import annotations

import argparse
import shlex
from typing import Any

SHELLS = ("bash", "zsh")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "completion",
        help="print a shell completion script (bash or zsh)",
        description="Print a completion script for commands, options, choices and shipped "
        'scenario names. bash: eval "$(scada-emu completion bash)" in ~/.bashrc; zsh: '
        'eval "$(scada-emu completion zsh)" in ~/.zshrc.',
    )
    parser.add_argument("shell", choices=SHELLS)
    parser.set_defaults(func=main)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _words(parser: argparse.ArgumentParser) -> tuple[list[str], dict[str, list[str]]]:
    """(every option and sub-action of a command, the choices each option takes)."""
    words: list[str] = list(_subparsers(parser))
    choices: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        words += action.option_strings
        if action.choices is not None and action.option_strings:
            for option in action.option_strings:
                choices[option] = [str(c) for c in action.choices]
        elif action.choices is not None and not action.option_strings:
            words += [str(c) for c in action.choices]
    return words, choices


def script(parser: argparse.ArgumentParser, scenarios: list[str]) -> str:
    """The bash completion function for `parser` (zsh runs it through bashcompinit)."""
    commands = _subparsers(parser)
    cases = []
    option_cases: dict[str, list[str]] = {}
    for name, command in commands.items():
        words, choices = _words(command)
        for sub_name, sub in _subparsers(command).items():
            sub_words, sub_choices = _words(sub)
            words += sub_words
            choices.update(sub_choices)
            del sub_name
        if name in ("run", "check", "scenarios"):
            words += scenarios
        cases.append(f"        {name}) words={shlex.quote(' '.join(dict.fromkeys(words)))} ;;")
        for option, values in choices.items():
            option_cases.setdefault(" ".join(values), []).append(option)
    top = " ".join([*commands, "--help", "--version"])
    value_cases = [
        f"        {'|'.join(sorted(set(options)))}) "
        f'COMPREPLY=($(compgen -W {shlex.quote(values)} -- "$cur")); return ;;'
        for values, options in option_cases.items()
    ]
    return "\n".join(
        [
            "# scada-emu completion (made by `scada-emu completion`)",
            "_scada_emu() {",
            '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
            '    case "$prev" in',
            *value_cases,
            "    esac",
            '    if [ "$COMP_CWORD" -eq 1 ]; then',
            f'        COMPREPLY=($(compgen -W {shlex.quote(top)} -- "$cur")); return',
            "    fi",
            "    local words=''",
            '    case "${COMP_WORDS[1]}" in',
            *cases,
            "    esac",
            '    COMPREPLY=($(compgen -W "$words" -- "$cur") $(compgen -f -- "$cur"))',
            "}",
            "complete -o filenames -F _scada_emu scada-emu",
            "",
        ]
    )


def main(args: argparse.Namespace) -> int:
    from emulator.cli import build_parser
    from emulator.topology.shipped import names

    body = script(build_parser(), names())
    if args.shell == "zsh":
        body = "autoload -U +X bashcompinit && bashcompinit\n" + body
    print(body, end="")
    return 0
