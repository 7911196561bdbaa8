"""The embedded default for `make run`: DEBUG on, SQLite, tasks in-process, outbox on disk."""

from .base import *  # noqa: F403
from .envvars import env_bool

DEBUG = env_bool("DEBUG", True)
SHOW_DEV_OUTBOX = DEBUG
