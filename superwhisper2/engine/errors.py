"""The engine's exceptions: each names what went wrong and what to do next."""


class EngineError(Exception):
    """Base class for every error the engine raises on purpose."""


class AudioError(EngineError, ValueError):
    """The audio cannot be transcribed as given (empty, NaN, wrong shape, too long...)."""


class ModelError(EngineError):
    """The model cannot be found, loaded or run; the message says which and what to do."""


class ModelFileError(ModelError):
    """The model itself is missing, unknown or corrupt: another device would not help."""


class DownloadError(ModelFileError):
    """A named model could not be downloaded. `reason` names the cause for the plugin ("stalled",
    "connection", "not_found", "offline", "disk_full", "corrupt", "http", "unknown", "failed");
    `kept_bytes` is what stays on disk for the next try to resume from."""

    def __init__(self, message: str, reason: str = "failed", kept_bytes: int = 0) -> None:
        super().__init__(message)
        self.reason = reason
        self.kept_bytes = kept_bytes
