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


def user_errors() -> tuple[type[Exception], ...]:
    """The exceptions a user can cause and fix (disk, permissions, a damaged index, a missing model)."""
    from index.build import NoArticles
    from index.embed import ModelMissing
    from index.publish import IndexBusy
    from index.store import IndexProblem
    from qa.evaluate import GoldError
    from qa.question import QuestionError

    return (OSError, IndexProblem, IndexBusy, ModelMissing, NoArticles, QuestionError, GoldError)


def error_line(err: Exception) -> str:
    """'gzqa: ' + the error's own sentence, on one line; an OS error says what failed, where, and what to do."""
    if isinstance(err, OSError) and err.errno is not None and err.strerror:
        where = f" ({err.filename})" if err.filename else ""
        return f"gzqa: {err.strerror}{where} — {OS_FIXES.get(err.errno, 'check the path, then run the command again')}"
    return "gzqa: " + " ".join(str(err).split())
