"""The one line a user error prints: which exceptions a user can cause, and the fix each one names."""
from __future__ import annotations

import errno

_ACCESS = "give yourself access to it, or choose another --seeds / --index-dir (or GZQA_CACHE)"
_SPACE = "free some disk space, then run the command again"
_FILE_IN_THE_WAY = "a file stands where a folder belongs: move it away, or choose another --seeds / --index-dir"
OS_FIXES = {
    errno.EACCES: _ACCESS, errno.EPERM: _ACCESS,
    errno.ENOSPC: _SPACE, errno.EDQUOT: _SPACE,
    errno.EROFS: "choose an --index-dir on a writable disk",
    errno.ENOTDIR: _FILE_IN_THE_WAY, errno.EEXIST: _FILE_IN_THE_WAY,
    errno.EISDIR: "a folder stands where a file belongs: move it away, or choose another --index-dir",
    errno.ENOENT: "check the path",
}


class UnreadableText(ValueError):
    """Text that is not Unicode (bytes that are not UTF-8, lone surrogates): cannot be asked or shown."""


class ServeRefused(ValueError):
    """`gzqa serve` asked to do something unsafe (another interface without credentials)."""


def check_text(text: str, what: str = "the question") -> str:
    """`text` unchanged, or UnreadableText when it holds lone surrogates (from bytes that were not UTF-8)."""
    for at, ch in enumerate(text):
        if "\ud800" <= ch <= "\udfff":
            shown = f"\\x{ord(ch) - 0xDC00:02x}" if 0xDC80 <= ord(ch) <= 0xDCFF else f"U+{ord(ch):04X}"
            raise UnreadableText(f"{what} is not valid UTF-8 text (at character {at + 1}: {shown}) — "
                                 f"type it again, or save it as UTF-8")
    return text


def user_errors() -> tuple[type[Exception], ...]:
    """The exceptions a user can cause and fix (disk, permissions, a damaged index, a missing model)."""
    from index.build import NoArticles
    from index.embed import ModelMissing
    from index.publish import IndexBusy
    from index.store import IndexProblem
    from qa.evaluate import GoldError
    from qa.question import QuestionError

    return (OSError, IndexProblem, IndexBusy, ModelMissing, NoArticles, QuestionError, GoldError, UnreadableText,
            ServeRefused)


def error_line(err: Exception) -> str:
    """'gzqa: ' + the error's own sentence, on one line; an OS error says what failed, where, and what to do."""
    if isinstance(err, OSError) and err.errno is not None and err.strerror:
        where = f" ({err.filename})" if err.filename else ""
        return f"gzqa: {err.strerror}{where} — {OS_FIXES.get(err.errno, 'check the path, then run the command again')}"
    return "gzqa: " + " ".join(str(err).split())
