"""A failed user script, worded as SageMaker words it: the exception and where it was raised.

SageMaker's training toolkit keeps the script's stderr and, when the script exits non-zero,
ends the job with `AlgorithmError: ExecuteUserScriptError: ExitCode <n> ErrorMessage "..."
Command "..."`. The whole traceback is in the job's log; the FailureReason (at most 1024
characters) keeps the exception line and the innermost frames, so `describe-training-job`
alone says what failed and on which line — a SyntaxError included, whose "traceback" is only
the file, the line and a caret.
"""

from __future__ import annotations

import re
import shlex
from collections import deque
from collections.abc import Iterable, Sequence
from pathlib import Path

from tsukuru.runtime.algorithms.errors import AlgorithmError

TAIL_LINES = 60  # stderr lines kept in memory while the script runs
FRAMES_SHOWN = 2
MESSAGE_CHARS = 400
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+))?$')
_CARET = re.compile(r"^\s*[\^~]+\s*$")


class UserScriptError(AlgorithmError):
    """The user's script failed; its own traceback is already in the log."""


class StderrTail:
    """The last lines the script wrote to stderr."""

    def __init__(self, size: int = TAIL_LINES) -> None:
        self._lines: deque[str] = deque(maxlen=size)

    def add(self, line: str) -> None:
        self._lines.append(line.rstrip("\r\n"))

    def lines(self) -> list[str]:
        return list(self._lines)


def script_failure(
    exit_code: int, stderr_tail: Iterable[str], command: Sequence[str], code_dir: Path
) -> UserScriptError:
    lines = list(stderr_tail)
    message, frames = _last_exception(lines, code_dir)
    parts = [f"ExecuteUserScriptError:\nExitCode {exit_code}"]
    if message:
        parts.append(f'ErrorMessage "{_clip(message)}"')
    if frames:
        parts.append("Traceback (innermost last):\n" + "\n".join(frames))
    shown = [command[0].rsplit("/", 1)[-1], *command[1:]]
    parts.append(f'Command "{_clip(shlex.join(shown))}"')
    return UserScriptError("\n".join(parts))


def _last_exception(lines: list[str], code_dir: Path) -> tuple[str, list[str]]:
    """(the exception line, the innermost frames with their source lines) of the last
    traceback in `lines`; ("", []) when there is none."""
    start = None
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].startswith("Traceback (most recent call last)"):
            start = index
            break
    if start is None:  # a SyntaxError raised while compiling the script has no header
        first_frame = next((i for i, line in enumerate(lines) if _FRAME.match(line)), None)
        start = first_frame if first_frame is not None else len(lines)
    block = lines[start:]
    message = ""
    for line in reversed(block):
        if line.strip() and not line.startswith((" ", "\t")) and not _CARET.match(line):
            message = line.strip()
            break
    if not message:  # no traceback: whatever the script said last
        message = next((line.strip() for line in reversed(lines) if line.strip()), "")
    frames: list[list[str]] = []
    for line in block:
        match = _FRAME.match(line)
        if match:
            frames.append([_frame_line(match, code_dir)])
        elif _is_source_line(line) and frames and len(frames[-1]) == 1:
            frames[-1].append("    " + line.strip())
    shown = [line for frame in frames[-FRAMES_SHOWN:] for line in frame]
    return message, shown


def _is_source_line(line: str) -> bool:
    return bool(line.strip()) and line.startswith((" ", "\t")) and not _CARET.match(line)


def _frame_line(match: re.Match[str], code_dir: Path) -> str:
    file = match.group("file")
    for prefix in {str(code_dir) + "/", str(code_dir.resolve()) + "/"}:
        if file.startswith(prefix):
            file = file[len(prefix) :]
            break
    where = f'  File "{file}", line {match.group("line")}'
    return f"{where}, in {match.group('func')}" if match.group("func") else where


def _clip(text: str) -> str:
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 3] + "..."
