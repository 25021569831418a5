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


def test_speech_is_transcribed_accurately_with_short_and_full_windows(case, base_model, tiny_model, audio_dir, transcripts, wer):
    recording, model_name, language, limit = case
    model = _model(model_name, base_model, tiny_model)
    reference = transcripts[recording]["text"]
    short = transcribe(model, audio_dir / recording, DecodeOptions(language=language))
    full = transcribe(model, audio_dir / recording, DecodeOptions(language=language, short_window=False))
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
    result = transcribe(base_model, audio_dir / "quilter_en.wav", DecodeOptions(language="en"))
    assert 0.5 < result.confidence <= 1.0
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
