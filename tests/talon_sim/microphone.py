"""`talon.lib.cubeb` as TALON_FACTS describes it (likely): a microphone the plugin may read itself."""

from __future__ import annotations

import threading
import time
import types
from typing import Any, Callable, Optional


def cubeb_module(microphone: Any, chunk: int = 160, speed: float = 10.0) -> types.ModuleType:
    """talon.lib.cubeb as TALON_FACTS describes it (likely): an input stream whose `data_cb`
    gets `(stream, in_frames, out_frames)` on an audio thread. It "records" `microphone`
    (float32 samples), `speed` times faster than real time, then silence."""
    import numpy as np

    module = types.ModuleType("talon.lib.cubeb")
    module.SampleFormat = types.SimpleNamespace(FLOAT32NE="float32ne", S16NE="s16ne")
    module.streams = []

    class StreamParams:
        def __init__(self, format: str, rate: int, channels: int) -> None:
            self.format, self.rate, self.channels = format, rate, channels

    class Stream:
        def __init__(self, name: str, params: StreamParams, data_cb: Callable[..., Any]) -> None:
            self.name, self.params, self.data_cb = name, params, data_cb
            self.running = threading.Event()
            self.thread = threading.Thread(target=self._run, name="cubeb-audio", daemon=True)

        def start(self) -> None:
            if self.params.rate != 16_000 or self.params.channels != 1:
                raise ValueError("this microphone records 16 kHz mono only")
            self.running.set()
            self.thread.start()

        def stop(self) -> None:
            self.running.clear()

        def _run(self) -> None:
            audio = np.concatenate([np.asarray(microphone, dtype=np.float32), np.zeros(16_000, dtype=np.float32)])
            position = 0
            while self.running.is_set():
                frames = audio[position:position + chunk] if position < audio.size else np.zeros(chunk, np.float32)
                position += chunk
                self.data_cb(self, frames, None)
                time.sleep(chunk / 16_000 / speed)

    class Context:
        def new_input_stream(self, name: str, device: Any, params: StreamParams, latency: int = 1,
                             data_cb: Optional[Callable[..., Any]] = None) -> Stream:
            stream = Stream(name, params, data_cb)  # type: ignore[arg-type]
            module.streams.append(stream)
            return stream

    module.StreamParams = StreamParams
    module.Context = Context
    return module
