"""A local Hugging Face hub for tests: model repos served from folders on 127.0.0.1.

It answers what huggingface_hub 2.4.0 asks when it downloads (snapshot_download, hf_hub_download)
and what superwhisper2's engine/download.py asks: the revision API (`/api/models/{repo}[/revision/{rev}]`,
sha and siblings), the tree API, and HEAD/GET on `/{repo}/resolve/{rev}/{file}` with X-Repo-Commit,
ETag, Content-Length and Range/206. Large files (*.bin, or over 10 MB) are LFS files as on the hub:
the resolve URL answers 302 with X-Linked-Etag (sha256) and X-Linked-Size, to a "CDN" on a second
port (another origin, so the library stops at the redirect for metadata as it does with the real CDN).

Test modes (attributes of the running hub, changeable while it runs): `rate` (bytes per second per
connection), `stall_after` (stop sending a file at that offset and hold the connection open),
`drop_after` (close the connection once a file reaches that offset, on the first request only).
Importing this file does nothing (Talon imports every .py file).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple
from urllib.parse import parse_qs, quote, unquote, urlsplit

CHUNK = 64 * 1024
_DIGESTS: Dict[Tuple[str, int, int], Tuple[str, str]] = {}  # (path, size, mtime) -> (git sha1, sha256)


@dataclass(frozen=True)
class HubFile:
    """One file of a served repo, with the ids the hub gives it."""

    path: str
    local: Path
    size: int
    oid: str  # git blob id (of the LFS pointer for LFS files)
    sha256: Optional[str]  # LFS files only

    @property
    def etag(self) -> str:
        return self.sha256 or self.oid


@dataclass(frozen=True)
class HubRepo:
    """A served repo: its files by path, and its one commit."""

    repo_id: str
    files: Dict[str, HubFile]
    commit: str


def describe_repo(repo_id: str, folder: Path) -> HubRepo:
    """`folder`'s files as a hub repo; the commit id follows from the content, so it is stable."""
    files = {}
    for local in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        path = local.relative_to(folder).as_posix()
        git_sha1, sha256 = _digests(local)
        size = local.stat().st_size
        if path.endswith(".bin") or size > 10 * 1024 * 1024:
            files[path] = HubFile(path, local, size, _git_blob_id(_pointer(sha256, size)), sha256)
        else:
            files[path] = HubFile(path, local, size, git_sha1, None)
    commit = hashlib.sha1(json.dumps([repo_id, [(f.path, f.oid) for f in files.values()]]).encode()).hexdigest()
    return HubRepo(repo_id, files, commit)


def _pointer(sha256: str, size: int) -> bytes:
    """The LFS pointer git stores in place of a large file."""
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _digests(local: Path) -> Tuple[str, str]:
    stat = local.stat()
    key = (str(local.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        git = hashlib.sha1(b"blob %d\0" % stat.st_size)
        sha256 = hashlib.sha256()
        with open(local, "rb") as handle:
            for block in iter(lambda: handle.read(16 << 20), b""):
                git.update(block)
                sha256.update(block)
        _DIGESTS[key] = (git.hexdigest(), sha256.hexdigest())
    return _DIGESTS[key]


class LocalHub:
    """The running hub: `url` (HF_ENDPOINT), what it served, and its test modes."""

    def __init__(self, repos: Dict[str, HubRepo], rate: Optional[float], stall_after: Optional[int],
                 drop_after: Optional[int]) -> None:
        self.repos = repos
        self.rate = rate
        self.stall_after = stall_after
        self.drop_after = drop_after
        self.url = ""
        self.cdn_url = ""
        self.served: Dict[str, int] = {}  # "repo/path" -> body bytes sent
        self.requests: List[Tuple[str, str, Optional[str]]] = []  # (method, path, Range header)
        self.dropped = 0
        self.stalled = 0
        self.release = threading.Event()  # set: stalled connections let go
        self._lock = threading.Lock()

    def __str__(self) -> str:
        return self.url

    def bytes_served(self, path: Optional[str] = None) -> int:
        """Body bytes sent so far, of every file or of files named `path` (e.g. "model.bin")."""
        with self._lock:
            return sum(n for key, n in self.served.items() if path is None or key.endswith("/" + path))

    def heal(self) -> None:
        """Back to a healthy server: no rate limit, stall or drop; stalled connections are closed."""
        self.rate = self.stall_after = self.drop_after = None
        self.release.set()

    def environment(self, home: Path) -> Dict[str, str]:
        """The environment of a process that downloads from this hub: online, HF_HOME under `home`."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_", "TRANSFORMERS_"))}
        env.update(HF_ENDPOINT=self.url, HF_HOME=str(home / "hf"), HF_HUB_DISABLE_TELEMETRY="1",
                   HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_IMPLICIT_TOKEN="1")
        return env

    @contextlib.contextmanager
    def online(self) -> Iterator["LocalHub"]:
        """In this process, for the block: huggingface_hub online and pointed at this hub. For tests only:
        the library reads HF_ENDPOINT and HF_HUB_OFFLINE at import, so this patches its constants. Enough
        for superwhisper2's download_model (it reads them per call), not for the library's own
        snapshot_download (its URL template is fixed at import): run that in a child with `environment`."""
        from huggingface_hub import constants

        saved = constants.HF_HUB_OFFLINE, constants.ENDPOINT
        constants.HF_HUB_OFFLINE, constants.ENDPOINT = False, self.url
        try:
            yield self
        finally:
            constants.HF_HUB_OFFLINE, constants.ENDPOINT = saved

    def _count(self, key: str, size: int) -> None:
        with self._lock:
            self.served[key] = self.served.get(key, 0) + size


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: LocalHub

    def log_message(self, format: str, *args: object) -> None:  # quiet: pytest shows failures its own way
        pass

    def do_HEAD(self) -> None:
        self._route(body=False)

    def do_GET(self) -> None:
        self._route(body=True)

    def _route(self, body: bool) -> None:
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.split("/")[1:]]
        self.hub.requests.append((self.command, url.path, self.headers.get("Range")))
        try:
            if parts[:2] == ["api", "models"] and len(parts) >= 4:
                self._api(parts[2] + "/" + parts[3], parts[4:], parse_qs(url.query))
            elif parts[:1] == ["cdn"] and len(parts) == 4:
                repo = self.hub.repos.get(parts[1] + "/" + parts[2])
                found = [f for f in (repo.files.values() if repo else ()) if f.sha256 == parts[3]]
                self._file(repo, found[0], body) if found else self._error(404, "EntryNotFound")
            elif len(parts) >= 5 and parts[2] == "resolve":
                self._resolve(parts[0] + "/" + parts[1], parts[3], "/".join(parts[4:]), body)
            else:
                self._error(404, "RepoNotFound")
        except OSError:  # the client went away (as it does after a stall)
            self.close_connection = True

    def _repo(self, repo_id: str, revision: str) -> Optional[HubRepo]:
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            self._error(404, "RepoNotFound")
        elif revision not in ("main", repo.commit):
            self._error(404, "RevisionNotFound")
            return None
        return repo

    def _api(self, repo_id: str, rest: List[str], query: Dict[str, List[str]]) -> None:
        if rest[:1] == ["tree"] and len(rest) >= 2:
            repo = self._repo(repo_id, rest[1])
            if repo is not None:
                prefix = "/".join(rest[2:])
                entries = [_tree_entry(f) for f in repo.files.values() if f.path.startswith(prefix)]
                self._json(entries)
        elif not rest or (rest[0] == "revision" and len(rest) == 2):
            repo = self._repo(repo_id, rest[1] if rest else "main")
            if repo is not None:
                blobs = query.get("blobs", ["false"])[0].lower() == "true"
                siblings = [_sibling(f, blobs) for f in repo.files.values()]
                self._json({"id": repo_id, "modelId": repo_id, "sha": repo.commit, "private": False,
                            "siblings": siblings, "tags": [], "library_name": "ctranslate2"})
        else:
            self._error(404, "RepoNotFound")

    def _resolve(self, repo_id: str, revision: str, path: str, body: bool) -> None:
        repo = self._repo(repo_id, revision)
        if repo is None:
            return
        file = repo.files.get(path)
        if file is None:
            self._error(404, "EntryNotFound", {"X-Repo-Commit": repo.commit})
        elif file.sha256 is not None:
            self.send_response(302)
            location = f"{self.hub.cdn_url}/cdn/{quote(repo_id)}/{file.sha256}"
            self._headers({"Location": location, "X-Repo-Commit": repo.commit, "ETag": f'"{file.oid}"',
                           "X-Linked-Etag": f'"{file.sha256}"', "X-Linked-Size": str(file.size),
                           "Content-Length": "0"})
        else:
            self._file(repo, file, body)

    def _file(self, repo: HubRepo, file: HubFile, body: bool) -> None:
        start, end = 0, file.size
        wanted = self.headers.get("Range")
        if wanted and wanted.startswith("bytes="):
            first, _, last = wanted[6:].partition("-")
            start, end = int(first or 0), min(file.size, int(last) + 1 if last else file.size)
            if start >= file.size:
                return self._error(416, None, {"Content-Range": f"bytes */{file.size}"})
            self.send_response(206)
            extra = {"Content-Range": f"bytes {start}-{end - 1}/{file.size}"}
        else:
            self.send_response(200)
            extra = {}
        self._headers({"X-Repo-Commit": repo.commit, "ETag": f'"{file.etag}"', "Accept-Ranges": "bytes",
                       "Content-Length": str(end - start), "Content-Type": "application/octet-stream", **extra})
        if body:
            self._send(repo, file, start, end)

    def _send(self, repo: HubRepo, file: HubFile, start: int, end: int) -> None:
        """The bytes start..end of `file`, slowed, stalled or cut as the hub's test modes say."""
        hub, key, position = self.hub, f"{repo.repo_id}/{file.path}", start
        began, sent = time.monotonic(), 0
        with open(file.local, "rb") as handle:
            handle.seek(start)
            while position < end:
                stall, drop = hub.stall_after, hub.drop_after if not hub.dropped else None
                if stall is not None and position >= stall:
                    return self._hold()
                limit = min(x for x in (end, stall, drop) if x is not None and x > position)
                data = handle.read(min(CHUNK, limit - position))
                self.wfile.write(data)
                hub._count(key, len(data))
                position, sent = position + len(data), sent + len(data)
                if drop is not None and position >= drop:
                    hub.dropped += 1
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if hub.rate:
                    time.sleep(max(0.0, began + sent / hub.rate - time.monotonic()))

    def _hold(self) -> None:
        """A stalled server: the connection stays open, silent, until the hub heals or stops."""
        self.hub.stalled += 1
        self.close_connection = True
        self.hub.release.wait()

    def _headers(self, headers: Dict[str, str]) -> None:
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _json(self, data: object) -> None:
        payload = json.dumps(data).encode()
        self.send_response(200)
        self._headers({"Content-Type": "application/json", "Content-Length": str(len(payload))})
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _error(self, status: int, code: Optional[str], extra: Optional[Dict[str, str]] = None) -> None:
        payload = json.dumps({"error": code or "error"}).encode()
        self.send_response(status)
        headers = {"Content-Type": "application/json", "Content-Length": str(len(payload)), **(extra or {})}
        self._headers({**headers, **({"X-Error-Code": code} if code else {})})
        if self.command != "HEAD":
            self.wfile.write(payload)


def _sibling(file: HubFile, blobs: bool) -> dict:
    """A file as the revision API lists it (sizes and ids only with ?blobs=True)."""
    entry: dict = {"rfilename": file.path}
    if blobs:
        entry.update(size=file.size, blobId=file.oid)
        if file.sha256:
            entry["lfs"] = {"size": file.size, "sha256": file.sha256, "pointerSize": _pointer_size(file)}
    return entry


def _tree_entry(file: HubFile) -> dict:
    """A file as the tree API lists it."""
    entry: dict = {"type": "file", "oid": file.oid, "size": file.size, "path": file.path}
    if file.sha256:
        entry["lfs"] = {"oid": file.sha256, "size": file.size, "pointerSize": _pointer_size(file)}
    return entry


def _pointer_size(file: HubFile) -> int:
    return len(_pointer(file.sha256 or "", file.size))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:  # a client gone is no news
        pass


@contextlib.contextmanager
def serve(repos: Dict[str, Path], *, rate: Optional[float] = None, stall_after: Optional[int] = None,
          drop_after: Optional[int] = None) -> Iterator[LocalHub]:
    """Serve `repos` ({"Systran/faster-whisper-base": folder}) on 127.0.0.1; yields the LocalHub
    (str(hub) is its base URL, to use as HF_ENDPOINT)."""
    hub = LocalHub({repo_id: describe_repo(repo_id, Path(folder)) for repo_id, folder in repos.items()},
                   rate, stall_after, drop_after)
    handler = type("Handler", (_Handler,), {"hub": hub})
    servers = [_Server(("127.0.0.1", 0), handler) for _ in range(2)]  # the hub, and its CDN
    hub.url, hub.cdn_url = (f"http://127.0.0.1:{server.server_address[1]}" for server in servers)
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield hub
    finally:
        hub.release.set()
        for server in servers:
            server.shutdown()
            server.server_close()
