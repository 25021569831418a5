"""Any audio a user or Talon hands over is converted, and bad audio is refused by name."""

import io
import wave

import numpy as np

SAMPLE_RATE = 16_000


def load_audio(*args, **kwargs):
    from superwhisper2.engine.audio import load_audio as engine_load_audio

    return engine_load_audio(*args, **kwargs)


def _tone(seconds=1.0, rate=SAMPLE_RATE, amplitude=0.5):
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def _wav_bytes(samples, rate, width, channels=1):
    scaled = {1: lambda x: (x * 127 + 128).astype(np.uint8).tobytes(),
              2: lambda x: (x * 32767).astype("<i2").tobytes(),
              3: lambda x: b"".join(int(v).to_bytes(3, "little", signed=True) for v in (x * 8_388_607).astype(np.int64)),
              4: lambda x: (x * 2_147_483_647).astype("<i4").tobytes()}[width]
    frames = np.repeat(samples[:, None], channels, axis=1).reshape(-1) if channels > 1 else samples
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(scaled(frames))
    return out.getvalue()


def test_talons_phrase_audio_passes_through_without_a_copy():
    samples = _tone()
    assert load_audio(samples) is samples


def test_a_plain_list_of_floats_is_accepted():
    out = load_audio(list(_tone(0.1)))
    assert out.dtype == np.float32 and out.size == 1600


def test_wav_bytes_of_every_common_width_rate_and_channel_count():
    for width in (1, 2, 3, 4):
        for rate in (8_000, 16_000, 44_100, 48_000):
            for channels in (1, 2):
                out = load_audio(_wav_bytes(_tone(0.5, rate), rate, width, channels))
                assert out.dtype == np.float32 and out.ndim == 1
                assert abs(out.size - SAMPLE_RATE // 2) <= 2, (width, rate, channels, out.size)
                assert 0.4 < np.abs(out).max() <= 0.55, (width, rate, channels)


def test_flac_file_at_44_1_khz_is_decoded_and_resampled(audio_dir):
    out = load_audio(audio_dir / "jfk_en.flac")
    assert abs(out.size / SAMPLE_RATE - 11.0) < 0.05


def test_integer_arrays_and_other_rates_are_scaled_and_resampled():
    as_int16 = (_tone(1.0, 48_000) * 32767).astype(np.int16)
    out = load_audio(as_int16, sample_rate=48_000)
    assert out.size == SAMPLE_RATE and 0.45 < np.abs(out).max() <= 0.51


def test_resampling_does_not_alias_high_frequencies_into_speech():
    rate = 48_000
    t = np.arange(rate) / rate
    whistle = (0.5 * np.sin(2 * np.pi * 15_000 * t)).astype(np.float32)  # above 8 kHz Nyquist
    out = load_audio(whistle, sample_rate=rate)
    assert np.abs(out[160:-160]).max() < 0.02  # away from the abrupt start and end


def test_stereo_arrays_either_way_round_become_mono():
    tone = _tone(0.5)
    assert np.allclose(load_audio(np.stack([tone, tone], axis=1)), tone, atol=1e-6)
    assert np.allclose(load_audio(np.stack([tone, tone], axis=0)), tone, atol=1e-6)


def test_out_of_range_floats_are_clipped_or_normalised_on_purpose():
    slightly_hot = _tone(amplitude=1.3)
    out = load_audio(slightly_hot)
    assert out.max() == 1.0 and out.min() == -1.0
    int_scaled = _tone(amplitude=16_000.0)
    out = load_audio(int_scaled)
    assert 0.48 < out.max() <= 0.5


def _refused(audio, words, **kwargs):
    import pytest

    from superwhisper2.engine.errors import AudioError

    with pytest.raises(AudioError) as error:
        load_audio(audio, **kwargs)
    assert words in str(error.value), str(error.value)


def test_bad_audio_raises_a_clear_audio_error():
    _refused(np.zeros(0, dtype=np.float32), "empty")
    _refused([], "empty")
    _refused(np.array([0.1, np.nan, 0.2], dtype=np.float32), "NaN")
    _refused(np.array([0.1, np.inf], dtype=np.float32), "infinite")
    _refused(np.zeros((4, 4, 4), dtype=np.float32), "shape")
    _refused(np.zeros((100, 100), dtype=np.float32), "shape")
    _refused(np.zeros(SAMPLE_RATE * 11, dtype=np.float32), "over the limit", max_seconds=10)
    _refused(["a", "b"], "numbers")
    _refused(np.array([True, False]), "booleans")
    _refused(b"", "empty")
    _refused(b"this is not audio at all", "not a readable audio file")
    _refused("/no/such/file.wav", "not found")
