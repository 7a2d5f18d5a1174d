"""`fused.warnings`: the SDK's warning classes, so UDF code can filter them by name.

`FusedWarning` is the base of the others; the runtime issues `FusedDeprecationWarning` for SDK
names it keeps for old code (`JobPool.collect_df`, `fused.core.create_path`, ...).
"""

from __future__ import annotations


class FusedWarning(Warning):
    """The base of every warning `fused` issues."""


class FusedDeprecationWarning(FusedWarning):
    """A name or argument kept for old code; the message says what replaces it."""


class FusedInProgressWarning(FusedWarning):
    """A feature that is still changing."""


class FusedNonProductionWarning(FusedWarning):
    """Code that is not meant for production use."""


class FusedOnPremWarning(FusedWarning):
    """A note about running against an on-premises (here: local) engine."""


class FusedIPythonWarning(FusedWarning):
    """A note about the IPython integration."""


class FusedUdfWarning(FusedWarning):
    """A note about a UDF's definition."""


class FusedDefaultWarning(FusedWarning):
    """A default was chosen where the call did not say."""


class FusedPythonVersionWarning(FusedWarning):
    """The Python version differs from the one UDFs are written for."""


class FusedTypeWarning(FusedWarning):
    """A value's type is not the one expected."""


class FusedPathWarning(FusedWarning):
    """A path was changed or could not be used as given."""


class FusedReservedWarning(FusedWarning):
    """A reserved name was used."""


class FusedIgnoredWarning(FusedWarning):
    """An option or argument has no effect here."""


class FusedImportWarning(FusedWarning):
    """An optional package is missing."""


class FusedRefreshingWarning(FusedWarning):
    """Something is being fetched again."""


class FusedSerializationWarning(FusedWarning):
    """A value was changed to be serialised."""
