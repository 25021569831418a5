"""The engine's exceptions: each names what went wrong and what to do next."""


class EngineError(Exception):
    """Base class for every error the engine raises on purpose."""


class AudioError(EngineError, ValueError):
    """The audio cannot be transcribed as given (empty, NaN, wrong shape, too long...)."""


class ModelError(EngineError):
    """The model cannot be found, loaded or run; the message says which and what to do."""


class ModelFileError(ModelError):
    """The model itself is missing, unknown or corrupt: another device would not help."""
