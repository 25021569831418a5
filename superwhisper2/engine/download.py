"""Download a named model into the Hugging Face cache, showing progress and resuming a failed try.

huggingface_hub 2.4.0 does neither: each try writes a fresh `<etag>.<uuid>.incomplete`, deleted on
failure (a 1.6 GB download cut at 90 % starts from zero), and its read timeout is a constant read at
import. So the library says what to fetch (revision API, a HEAD per file, through its own HTTP session:
proxies, token, offline mode) and this module moves the bytes into `blobs/<etag>.incomplete`, kept on
failure, resumed by a Range request, checked (size, sha256) and laid out as the library does (blobs/,
snapshots/<commit>/, refs/main), where faster-whisper finds them offline. Within `stall_timeout` of
the last byte, a connection that drops or is silent for half of it is reopened where it stopped.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import shutil
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Deque, Dict, Optional, Tuple
from urllib.parse import quote

from .errors import DownloadError

log = logging.getLogger("superwhisper2")

# The files faster-whisper 1.2.1's own download_model fetches.
ALLOW_PATTERNS = ["config.json", "preprocessor_config.json", "model.bin", "tokenizer.json", "vocabulary.*"]
STALL_SECONDS = 30.0
SPEED_WINDOW = 3.0  # bytes_per_second is measured over the last few seconds
STALLED_AFTER = 1.0  # no byte for this long: speed 0, time left unknown
MB = 1_000_000


@dataclass(frozen=True)
class DownloadProgress:
    """Where a model download stands, for the overlay and "whisper status"."""

    model: str
    repo_id: str
    bytes_done: int  # on disk, a part kept from an earlier try included
    bytes_total: Optional[int]  # None until the hub has said how big the files are
    bytes_per_second: float
    seconds_left: Optional[float]  # None when unknown or stalled
    file: Optional[str]  # the file being fetched

    def text(self) -> str:
        """One line, e.g. "Downloading large-v3-turbo: 412 / 1,620 MB, 23 MB/s, 52 s left"."""
        if self.bytes_total is None:
            return f"Downloading {self.model}: asking the hub for its files"
        if self.bytes_done >= self.bytes_total:
            return f"Downloaded {self.model}: {self.bytes_total / MB:,.0f} MB"
        head = f"Downloading {self.model}: {self.bytes_done / MB:,.0f} / {self.bytes_total / MB:,.0f} MB"
        if self.bytes_per_second <= 0:
            return f"{head}, waiting for the server"
        speed = self.bytes_per_second / MB
        left = "" if self.seconds_left is None else f", {_duration(self.seconds_left)} left"
        return f"{head}, {speed:,.0f} MB/s{left}" if speed >= 10 else f"{head}, {speed:.1f} MB/s{left}"


ProgressCallback = Callable[[DownloadProgress], None]


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds // 3600:.0f} h {seconds % 3600 / 60:02.0f} min"


def repo_for(name: str) -> str:
    """The hub repo of a faster-whisper model name ("large-v3-turbo"), or `name` if it is an owner/name id."""
    if "/" in name:
        return name
    from faster_whisper.utils import _MODELS

    if name not in _MODELS:
        raise DownloadError(f"unknown model name '{name}': use one of {', '.join(_MODELS)} "
                            f"or a Hugging Face id (owner/name)", "unknown")
    return str(_MODELS[name])


class _Tracker:
    """Bytes so far: written by the download thread, read by the progress loop."""

    def __init__(self, model: str, repo_id: str) -> None:
        self.model, self.repo_id, self.file = model, repo_id, None  # type: str, str, Optional[str]
        self.done, self.total, self.received = 0, None, 0  # type: int, Optional[int], int
        self.last_byte = time.monotonic()
        self.samples: Deque[Tuple[float, int]] = deque()  # (time, bytes received): the speed's window

    def add(self, count: int) -> None:
        self.done, self.received, self.last_byte = self.done + count, self.received + count, time.monotonic()

    def snapshot(self) -> DownloadProgress:
        now, received = time.monotonic(), self.received
        self.samples.append((now, received))
        while len(self.samples) > 2 and self.samples[1][0] <= now - SPEED_WINDOW:
            self.samples.popleft()
        since, before = self.samples[0]
        stalled = now - self.last_byte >= STALLED_AFTER or now - since < 0.2
        speed = 0.0 if stalled else (received - before) / (now - since)
        unknown = self.total is None or (speed <= 0 and self.done < self.total)
        left = None if unknown else max(0, (self.total or 0) - self.done) / (speed or 1.0)
        return DownloadProgress(self.model, self.repo_id, self.done, self.total, speed, left, self.file)


def download_model(name: str, *, cache_dir: Optional[str] = None, progress: Optional[ProgressCallback] = None,
                   interval: float = 0.5, stall_timeout: float = STALL_SECONDS) -> str:
    """Download model `name` (faster-whisper name or owner/name) into `cache_dir` (default: the Hugging
    Face cache); its folder. `progress` is called on this thread every `interval` s, bytes or not, and at
    the end (bytes_done == bytes_total). Raises DownloadError; a silent server, `stall_timeout` s after
    its last byte (each metadata request, after `stall_timeout` s)."""
    tracker = _Tracker(name, repo_for(name))
    if progress is None:
        return _download(tracker, cache_dir, stall_timeout)
    outcome: Dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["path"] = _download(tracker, cache_dir, stall_timeout)
        except BaseException as error:  # handed to the calling thread below
            outcome["error"] = error

    worker = threading.Thread(target=work, name="superwhisper2-download", daemon=True)
    worker.start()
    while True:
        alive = worker.is_alive()
        try:
            progress(tracker.snapshot())
        except Exception:  # a broken overlay must not break the download
            log.warning("the download progress callback failed", exc_info=True)
        if not alive:
            break
        worker.join(interval)
    if "error" in outcome:
        raise outcome["error"]
    return str(outcome["path"])


def _download(tracker: _Tracker, cache_dir: Optional[str], stall: float) -> str:
    from huggingface_hub import HfApi, constants
    from huggingface_hub.file_download import get_hf_file_metadata
    from huggingface_hub.utils import filter_repo_objects

    repo_id, started = tracker.repo_id, time.monotonic()
    cache = os.path.abspath(os.path.expanduser(cache_dir or constants.HF_HUB_CACHE))
    storage = os.path.join(cache, "models--" + repo_id.replace("/", "--"))
    endpoint = constants.ENDPOINT.rstrip("/")  # HF_ENDPOINT, as the library read it at import
    try:
        info = HfApi(endpoint=endpoint).model_info(repo_id, revision="main", timeout=stall)
        names = filter_repo_objects([s.rfilename for s in info.siblings or []], allow_patterns=ALLOW_PATTERNS)
        files = [(n, get_hf_file_metadata(f"{endpoint}/{repo_id}/resolve/{info.sha}/{quote(n)}", timeout=stall,
                                          endpoint=endpoint)) for n in names]
        if not files or any(meta.etag is None for _, meta in files):
            raise DownloadError(f"{endpoint} does not answer as the Hugging Face hub does for '{repo_id}' "
                                f"(no model files, or no ETag): check HF_ENDPOINT", "http")
        blobs = os.path.join(storage, "blobs")
        os.makedirs(blobs, exist_ok=True)
        tracker.total = sum(meta.size or 0 for _, meta in files)
        tracker.done = sum(_on_disk(os.path.join(blobs, meta.etag)) for _, meta in files)
        if tracker.total - tracker.done > shutil.disk_usage(blobs).free:
            raise OSError(errno.ENOSPC, f"{(tracker.total - tracker.done) / MB:,.0f} MB more are needed")
        log.info("downloading %s (%s, %.0f MB) into %s", tracker.model, repo_id, tracker.total / MB, cache)
        for filename, meta in files:
            tracker.file = filename
            _fetch(tracker, os.path.join(blobs, meta.etag), meta=meta, stall=stall, endpoint=endpoint, cache=cache)
        snapshot = os.path.join(storage, "snapshots", str(info.sha))
        for filename, meta in files:
            _link(os.path.join(blobs, meta.etag), os.path.join(snapshot, *filename.split("/")))
        ref = Path(storage, "refs", "main")  # the branch faster-whisper looks up offline
        ref.parent.mkdir(exist_ok=True)
        ref.with_suffix(".tmp").write_text(str(info.sha), encoding="utf-8")
        ref.with_suffix(".tmp").replace(ref)
    except DownloadError:
        raise
    except Exception as error:
        raise _explain(error, tracker, storage, stall, endpoint) from error
    log.info("downloaded %s in %.1f s", tracker.model, time.monotonic() - started)
    return snapshot


def _on_disk(blob: str) -> int:  # whole, or the part kept in `blob`.incomplete
    return sum(os.path.getsize(path) for path in (blob, blob + ".incomplete") if os.path.isfile(path))


class _Part:
    """A file being fetched into `<blob>.incomplete`, and the sha256 of what it holds so far."""

    def __init__(self, path: str) -> None:
        self.path, self.digest = path, hashlib.sha256()
        with open(path, "ab+") as handle:  # made if missing
            handle.seek(0)
            for block in iter(lambda: handle.read(16 << 20), b""):
                self.digest.update(block)

    @property
    def size(self) -> int:
        return os.path.getsize(self.path) if os.path.isfile(self.path) else 0

    def restart(self, tracker: _Tracker) -> None:
        tracker.done -= self.size
        open(self.path, "wb").close()
        self.digest = hashlib.sha256()


def _fetch(tracker: _Tracker, blob: str, *, meta: Any, stall: float, endpoint: str, cache: str) -> None:
    """`meta`'s file into `blob` through `blob`.incomplete: resumed where a failed try stopped, reconnecting
    until `stall` s pass without a byte, then checked (size, and sha256 for LFS files) and renamed."""
    import httpx2
    from huggingface_hub.utils import WeakFileLock, build_hf_headers, get_session, hf_raise_for_status

    headers = build_hf_headers()
    headers["Accept-Encoding"] = "identity"  # sizes and ranges of the bytes on disk, not of a gzip stream
    if not meta.location.startswith(endpoint + "/"):
        headers.pop("authorization", None)  # a signed CDN address: the token stays with the hub
    lock = Path(cache, ".locks", os.path.basename(os.path.dirname(os.path.dirname(blob))), meta.etag + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with WeakFileLock(lock):  # the lock huggingface_hub takes too: one download of a file at a time
        if os.path.isfile(blob):
            return
        part = _Part(blob + ".incomplete")
        if meta.size is not None and part.size > meta.size:
            part.restart(tracker)
        tracker.last_byte = time.monotonic()
        while meta.size is None or part.size < meta.size:
            headers["Range"] = f"bytes={part.size}-"
            wait = httpx2.Timeout(max(0.1, min(stall / 2, stall - (time.monotonic() - tracker.last_byte))))
            try:
                with get_session().stream("GET", meta.location, headers=headers, timeout=wait) as response:
                    if response.status_code >= 400:
                        response.read()
                        hf_raise_for_status(response)
                    if part.size and response.status_code != 206:  # the server ignored the range: start over
                        part.restart(tracker)
                    with open(part.path, "ab") as out:
                        for chunk in response.iter_bytes():
                            out.write(chunk)
                            part.digest.update(chunk)
                            tracker.add(len(chunk))
                break
            except httpx2.TransportError as error:
                if time.monotonic() - tracker.last_byte >= stall:
                    raise
                log.info("download of %s interrupted (%s): resuming at %d bytes", tracker.file, error, part.size)
                time.sleep(min(0.5, stall / 4))
        lfs = re.fullmatch(r"[0-9a-f]{64}", meta.etag)  # an LFS file's ETag is its sha256
        if (meta.size is not None and part.size != meta.size) or (lfs and part.digest.hexdigest() != meta.etag):
            part.restart(tracker)
            os.remove(part.path)
            raise DownloadError(f"could not download model '{tracker.model}': {tracker.file} came corrupt (wrong size "
                                f"or sha256); it was deleted and is fetched again next time", "corrupt", tracker.done)
        os.replace(part.path, blob)


def _link(blob: str, pointer: str) -> None:
    """snapshots/<commit>/<file> -> blob: a relative symlink as the library makes, else a hard link, else a copy."""
    from huggingface_hub import constants

    os.makedirs(os.path.dirname(pointer), exist_ok=True)
    if os.path.lexists(pointer):
        os.remove(pointer)
    with contextlib.suppress(OSError):
        if not constants.HF_HUB_DISABLE_SYMLINKS:
            return os.symlink(os.path.relpath(blob, os.path.dirname(pointer)), pointer)
    try:
        os.link(blob, pointer)
    except OSError:
        shutil.copyfile(blob, pointer)


def _explain(error: Exception, tracker: _Tracker, storage: str, stall: float, endpoint: str) -> DownloadError:
    """`error` in plain words, with what becomes of the part already fetched."""
    import httpx2
    from huggingface_hub import errors as hub

    status = getattr(getattr(error, "response", None), "status_code", None)
    causes = [  # the first that `error` is, wins
        (hub.RepositoryNotFoundError, "not_found", f"HTTP {status}: no such model '{tracker.repo_id}' on {endpoint} "
                                                   f"(or it is private or gated)"),
        (hub.OfflineModeIsEnabled, "offline", f"it is not in {storage} and offline mode is on (HF_HUB_OFFLINE is set)"),
        (httpx2.TimeoutException, "stalled", f"the server stopped sending for {stall:.0f} s"),
        (httpx2.ConnectError, "connection", f"could not connect to {endpoint} ({error}): check the network"),
        (httpx2.TransportError, "connection", f"the connection was lost ({error})"),
        (hub.HfHubHTTPError, "not_found" if status == 404 else "http",
         f"HTTP {status}: the server " + ("has no " if status == 404 else "failed to send ") + str(tracker.file)),
    ]
    reason, why = next(((r, w) for kind, r, w in causes if isinstance(error, kind)),
                       ("failed", f"{type(error).__name__}: {error}"))
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        reason, why = "disk_full", f"no space left on the disk ({error.strerror})"
    then = (f" The {tracker.done / MB:,.0f} MB already downloaded are kept in {storage}; the download resumes from "
            f"there next time." if tracker.done else "")
    return DownloadError(f"could not download model '{tracker.model}': {why}.{then}", reason, tracker.done)
