"""The engine hears the shared recordings right, in both windows, and types nothing for noise."""

import numpy as np

# (recording, model, language, highest word error rate accepted)
CASES = [
    ("consulat_fr.wav", "base", "fr", 0.10),
    ("quilter_en.wav", "base", "en", 0.10),
    ("jfk_en.flac", "base", "en", 0.10),
    ("quilter_en.wav", "tiny", "en", 0.15),
    ("jfk_en.flac", "tiny", "en", 0.15),
]


def _model(name, base_model, tiny_model):
    return base_model if name == "base" else tiny_model


def transcribe(*args, **kwargs):
    from superwhisper2.engine.transcriber import transcribe as engine_transcribe

    return engine_transcribe(*args, **kwargs)


def DecodeOptions(**kwargs):
    from superwhisper2.engine.transcriber import DecodeOptions as Options

    return Options(**kwargs)


def test_speech_is_transcribed_accurately_in_the_default_full_window_and_a_chosen_short_one(
        case, base_model, tiny_model, audio_dir, transcripts, wer):
    recording, model_name, language, limit = case
    model = _model(model_name, base_model, tiny_model)
    reference = transcripts[recording]["text"]
    short = transcribe(model, audio_dir / recording, DecodeOptions(language=language, min_window=15))
    full = transcribe(model, audio_dir / recording, DecodeOptions(language=language))
    print(f"{recording} {model_name}: short {short.window_seconds:.0f} s -> {short.text!r}; full -> {full.text!r}")
    assert short.window_seconds < 30 and full.window_seconds == 30
    assert wer(reference, short.text) <= limit
    assert wer(reference, full.text) <= limit
    assert short.language == language and short.dropped is None


def test_french_by_auto_detection_within_the_users_languages(base_model, audio_dir, transcripts, wer):
    result = transcribe(base_model, audio_dir / "consulat_fr.wav", DecodeOptions(language="auto", languages=("fr", "en")))
    assert result.language == "fr"
    assert wer(transcripts["consulat_fr.wav"]["text"], result.text) <= 0.10


def _noises():
    rng = np.random.default_rng(7)
    return {
        "noise_only.wav": None,
        "3 s of zeros": np.zeros(48_000, dtype=np.float32),
        "3 s of white noise": (rng.standard_normal(48_000) * 0.1).astype(np.float32),
        "3 s of near-silence": (rng.standard_normal(48_000) * 1e-4).astype(np.float32),
    }


def test_noise_silence_and_near_silence_give_no_text_with_either_model(base_model, tiny_model, audio_dir):
    for model in (base_model, tiny_model):
        for name, samples in _noises().items():
            audio = audio_dir / name if samples is None else samples
            for language in ("fr", "en"):
                result = transcribe(model, audio, DecodeOptions(language=language))
                assert result.text == "", f"{name} gave {result.text!r}"
                assert result.dropped


def test_known_hallucinations_are_dropped_even_when_the_gate_lets_noise_through(base_model, tiny_model, audio_dir):
    """Without the VAD, Whisper does invent text on noise; the thresholds and the list catch it."""
    for model in (base_model, tiny_model):
        for name, samples in _noises().items():
            audio = audio_dir / name if samples is None else samples
            result = transcribe(model, audio, DecodeOptions(language="en", vad=False))
            assert result.text == "", f"{name} gave {result.text!r} ({result.dropped})"


def test_result_carries_confidence_no_speech_and_stage_times(base_model, audio_dir):
    import math

    result = transcribe(base_model, audio_dir / "quilter_en.wav", DecodeOptions(language="en"))
    assert 0.5 < math.exp(result.avg_logprob) <= 1.0
    assert 0.0 <= result.no_speech_prob < 0.5
    assert abs(result.audio_seconds - 5.86) < 0.05
    for stage in ("vad", "features", "encoder", "decoder", "total"):
        assert result.timings[stage] > 0
    assert result.timings["total"] >= result.timings["encoder"] + result.timings["decoder"]


def test_a_broken_short_window_is_decoded_again_with_the_full_window(base_model, audio_dir):
    """A window that ends with the speech (no margin) makes the decoder loop; the guard notices."""
    from superwhisper2.engine.audio import load_audio

    cut = load_audio(audio_dir / "quilter_en.wav")[: 5 * 16_000]  # ends mid-word, no silence after
    options = DecodeOptions(language="en", min_window=1.0, window_margin=0.0, trim_silence=False, vad=False)
    result = transcribe(base_model, cut, options)
    assert result.full_window_retry and result.window_seconds == 30
    assert result.text.count("Quilter") == 1, result.text


def test_the_decoder_budget_matches_ctranslate2s_stopping_rule(base_model):
    """generation_budget() is measured, not documented: check it against the real model."""
    import ctranslate2

    from superwhisper2.engine.decoding import generation_budget
    from superwhisper2.engine.decoding import tokenizer as _tokenizer

    whisper = base_model.whisper
    features = np.zeros((1, whisper.model.n_mels, 200), dtype=np.float32)
    encoded = whisper.model.encode(ctranslate2.StorageView.from_array(features))
    tokenizer = _tokenizer(whisper, "en")
    short_prompt = list(tokenizer.sot_sequence) + [tokenizer.no_timestamps]
    long_prompt = [tokenizer.sot_prev] + tokenizer.encode(" the end of a long context" * 8) + short_prompt
    for prompt in (short_prompt, long_prompt):
        for wanted in (10, 40):
            max_length, limit = generation_budget(len(prompt), wanted)
            assert limit >= wanted
            # suppressing the end of text forces the decoder to run to its limit
            result = whisper.model.generate(encoded, [prompt], beam_size=1, max_length=max_length,
                                            suppress_tokens=[-1, tokenizer.eot])[0]
            assert len(result.sequences_ids[0]) == limit


def test_english_only_model_ignores_a_french_language_setting(tiny_model, audio_dir):
    result = transcribe(tiny_model, audio_dir / "quilter_en.wav", DecodeOptions(language="fr"))
    assert result.language == "en" and "Quilter" in result.text


def test_word_timestamps_path_gives_the_same_words(base_model, audio_dir, transcripts, wer):
    result = transcribe(base_model, audio_dir / "quilter_en.wav", DecodeOptions(language="en", word_timestamps=True))
    assert wer(transcripts["quilter_en.wav"]["text"], result.text) <= 0.10


def test_a_phrase_longer_than_thirty_seconds_is_cut_and_fully_transcribed(base_model, audio_dir, transcripts, wer):
    from superwhisper2.engine.audio import load_audio

    jfk = load_audio(audio_dir / "jfk_en.flac")
    long = np.concatenate([jfk, jfk, jfk])  # 33 s
    result = transcribe(base_model, long, DecodeOptions(language="en"))
    reference = " ".join([transcripts["jfk_en.flac"]["text"]] * 3)
    segments, _ = base_model.whisper.transcribe(long, language="en", beam_size=5, condition_on_previous_text=False)
    bare = " ".join(segment.text for segment in segments)  # the bare model, this machine, same run
    assert wer(reference, result.text) <= wer(reference, bare) + 0.05, (result.text, bare)
    assert result.text.count("Americans") == 3


def test_the_speech_gate_settles_early_speech_on_its_first_seconds_with_the_same_answer(audio_dir, dev_corpus):
    """Silero costs ~2 ms per second of audio, the largest fixed cost on a GPU: when the first
    1.5 s already hold sure speech, the rest is not heard. On every dev recording, on noise and on
    speech that starts late, the answer is the whole gate's."""
    from superwhisper2.engine import guard
    from superwhisper2.engine.audio import load_audio

    quilter = load_audio(audio_dir / "quilter_en.wav")
    clips = {name: load_audio(recording.path) for name, recording in dev_corpus.items()}
    clips.update({name: load_audio(audio_dir / name) if samples is None else samples
                  for name, samples in _noises().items()})
    clips["2 s of silence, then speech"] = np.concatenate([np.zeros(32_000, dtype=np.float32), quilter])
    settled = 0
    for name, samples in clips.items():
        whole, quick = guard.find_speech(samples), guard.find_speech(samples, exact=False)
        assert quick.empty == whole.empty, name
        if quick != whole:  # settled on the probe: sure speech, and the phrase kept to its end
            settled += 1
            assert quick.speech_seconds >= guard.SURE_SPEECH_SECONDS <= whole.speech_seconds, name
            assert quick.end == samples.size and abs(quick.start - whole.start) <= 4_800, name
    assert guard.find_speech(clips["2 s of silence, then speech"], exact=False).start >= 16_000
    assert settled >= len(dev_corpus) // 2


def test_on_cuda_the_speech_gate_runs_beside_the_encoder_with_the_same_result(base_model, audio_dir, monkeypatch):
    """On a GPU the gate runs on its own thread while the features and the encoder are computed:
    the same words are typed, noise still types nothing, and a failing gate still fails the phrase."""
    import dataclasses
    import threading

    import pytest

    from superwhisper2.engine import guard

    on_cuda = dataclasses.replace(base_model, device="cuda")  # the same CPU weights under CUDA's rules
    threads = []
    real_find_speech = guard.find_speech

    def find_speech(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real_find_speech(*args, **kwargs)

    monkeypatch.setattr(guard, "find_speech", find_speech)
    for name, language in (("quilter_en.wav", "en"), ("consulat_fr.wav", "fr")):
        beside = transcribe(on_cuda, audio_dir / name, DecodeOptions(language=language))
        in_line = transcribe(base_model, audio_dir / name, DecodeOptions(language=language, min_window=30))
        assert beside.text == in_line.text and beside.text
        assert "vad_wait" in beside.timings and "vad_wait" not in in_line.timings
    assert threads == ["superwhisper2-gate", threading.current_thread().name] * 2
    for name, samples in _noises().items():
        result = transcribe(on_cuda, audio_dir / name if samples is None else samples, DecodeOptions(language="fr"))
        assert result.text == "" and result.dropped == "no speech", name

    def broken(*args, **kwargs):
        raise RuntimeError("onnxruntime failed")

    monkeypatch.setattr(guard, "find_speech", broken)
    with pytest.raises(RuntimeError, match="onnxruntime"):
        transcribe(on_cuda, audio_dir / "quilter_en.wav", DecodeOptions(language="en"))
