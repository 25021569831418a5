"""`talon.lib.cubeb` as TALON_FACTS describes it (likely): a microphone the plugin may read itself."""

from __future__ import annotations

import threading
import time
import types
from typing import Any, Callable, List, Optional, Sequence

from .facts import TALON_RATE


def cubeb_module(microphone: Any, chunk: int = 160, speed: float = 10.0, devices: Sequence[str] = ("Microphone",),
                 blocking_seconds: float = 0.0) -> types.ModuleType:
    """talon.lib.cubeb as TALON_FACTS describes it (likely): `Context().inputs()` lists the input
    devices (name, state, devid), and an input stream's `data_cb` gets `(stream, in_frames,
    out_frames)` on an audio thread. It "records" `microphone` (float32 samples), `speed` times
    faster than real time, then silence. Starting and stopping a stream takes `blocking_seconds`
    (cubeb "can block for a while"): a plugin must not do it on Talon's thread."""
    import numpy as np

    module = types.ModuleType("talon.lib.cubeb")
    module.SampleFormat = types.SimpleNamespace(FLOAT32NE="float32ne", S16NE="s16ne")
    module.DeviceState = types.SimpleNamespace(ENABLED="enabled", DISABLED="disabled", UNPLUGGED="unplugged")
    module.DeviceType = types.SimpleNamespace(INPUT="input", OUTPUT="output")
    module.streams = []
    listed = [types.SimpleNamespace(name=name, state="enabled", devid=f"device-{index}")
              for index, name in enumerate(devices)]

    class StreamParams:
        def __init__(self, format: str, rate: int, channels: int) -> None:
            self.format, self.rate, self.channels = format, rate, channels

    class Stream:
        def __init__(self, name: str, device: Any, params: StreamParams, data_cb: Callable[..., Any]) -> None:
            self.name, self.device, self.params, self.data_cb = name, device, params, data_cb
            self.running = threading.Event()
            self.thread = threading.Thread(target=self._run, name="cubeb-audio", daemon=True)

        def start(self) -> None:
            if self.params.rate != TALON_RATE or self.params.channels != 1:
                raise ValueError("this microphone records 16 kHz mono only")
            if self.device is not None and self.device not in [d.devid for d in listed]:
                raise ValueError(f"no input device {self.device!r}")
            time.sleep(blocking_seconds)
            self.running.set()
            self.thread.start()

        def stop(self) -> None:
            time.sleep(blocking_seconds)
            self.running.clear()

        def _run(self) -> None:
            audio = np.concatenate([np.asarray(microphone, dtype=np.float32), np.zeros(TALON_RATE, dtype=np.float32)])
            position = 0
            while self.running.is_set():
                frames = audio[position:position + chunk] if position < audio.size else np.zeros(chunk, np.float32)
                position += chunk
                self.data_cb(self, frames, None)
                time.sleep(chunk / TALON_RATE / speed)

    class Context:
        def inputs(self) -> List[Any]:
            return list(listed)

        def new_input_stream(self, name: str, device: Any, params: StreamParams, latency: int = 1,
                             data_cb: Optional[Callable[..., Any]] = None) -> Stream:
            stream = Stream(name, device, params, data_cb)  # type: ignore[arg-type]
            module.streams.append(stream)
            return stream

    module.StreamParams = StreamParams
    module.Context = Context
    return module
