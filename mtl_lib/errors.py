"""Errors that speak to the user: each says what was wrong and how to fix it.

The command line prints any `MTLError` as one line and exits with status 2, so
these are the only exceptions a learner should ever see from `mtl_lib`.
"""


class MTLError(Exception):
    """Base class of every error `mtl_lib` raises on purpose."""


class DataError(MTLError, ValueError):
    """The data given, downloaded or read from disk is not usable."""


class UnknownDatasetError(DataError):
    """A data set name that is neither built in nor an existing CSV file."""


class DownloadError(DataError):
    """An archive could not be fetched from upstream or from the mirror."""


class ChecksumError(DataError):
    """A file's SHA-256 is not the one its source publishes."""


class CorruptArchiveError(DataError):
    """An archive that cannot be opened or read to its end."""


class UnknownTaskError(MTLError, ValueError):
    """A task name that the data set or the model does not have."""


class UnknownLabelError(DataError):
    """A label outside its task's label set."""


class ConfigError(MTLError, ValueError):
    """A configuration field, model name or option that is not allowed."""


class CheckpointError(MTLError):
    """A run directory or checkpoint that cannot be loaded as asked."""


class DataWarning(UserWarning):
    """Data that trains, but not as its owner probably means: a task too small or with one label."""
