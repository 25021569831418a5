"""Only speech becomes text: a French dictation with a song, humming, breathing and typing between
the sentences types exactly the sentences; each sound is refused with a reason, and "whisper
retry" hears the refused ones again and types what Whisper makes of them."""
SENTENCES = ["stp_fr_allume_la_lumi_re_dans_la_chambre_jlo_or.wav", "fleurs_fr_004.wav"]
# Refused with the widest margins on the dev corpus (docs/BENCHMARKS.md): a loop of the same words
# (humming, breathing), another language heard where Whisper suspects no speech (a Spanish song),
# and the speech gate (typing).
SOUNDS = ["nonspeech_humming_1.wav", "nonspeech_music_with_vocals_3.wav", "nonspeech_breathing_3.wav",
          "nonspeech_keyboard_typing_1.wav"]


def test_sounds_between_sentences_type_nothing_and_whisper_retry_hears_them_again(dev_corpus, talon, story,
                                                                                  base_model):
    import corpus

    from superwhisper2.engine.audio import load_audio

    sentences = [dev_corpus[name] for name in SENTENCES]
    audio = {name: load_audio(dev_corpus[name].path) for name in SENTENCES + SOUNDS}
    bare = []
    for name in SENTENCES:  # the bare model on this machine, in this run
        segments, _ = base_model.whisper.transcribe(audio[name], language="fr", beam_size=5,
                                                    condition_on_previous_text=False)
        bare.append(" ".join(segment.text for segment in segments))
    sim = talon(settings={"user.whisper_min_window": 0})  # the default full window: the gates' own path
    story.ready(sim)
    sim.press(story.hotkey)
    for name in [SENTENCES[0], *SOUNDS[:2], SENTENCES[1], *SOUNDS[2:]]:
        done = story.finished()
        sim.speak(audio[name])
        assert sim.wait_until(lambda: story.finished() > done, 120), name
    sim.press(story.hotkey)
    sim.settle(quiet=0.5)
    reference = " ".join(r.text for r in sentences)
    one_word = 1 / len(corpus.normalise(reference, "fr").split())
    assert corpus.wer([reference], [sim.document], "fr") <= corpus.wer([reference], [" ".join(bare)], "fr") + one_word, \
        (sim.document, bare)
    refused = [record for record in story.records() if record["outcome"] == "dropped"]
    assert len(refused) == len(SOUNDS) and all(record["dropped"] for record in refused), refused
    document = sim.document
    assert sim.speak(words="whisper retry").ran == ["user.whisper_retry"]
    # those Whisper wrote something for, after the last sentence typed (the gate's refusal of typing is not kept)
    assert "Retrying 1 phrase(s)" in sim.notifications[-1]["body"]
    assert sim.wait_until(lambda: story.finished() == len(SENTENCES) + len(SOUNDS) + 1, 120)
    sim.settle(quiet=0.5)
    retried = story.records()[-1:]
    assert all(record["outcome"] in ("typed", "dropped") for record in retried), retried
    heard = [record for record in retried if record.get("typed")]
    assert heard and sim.document.startswith(document) and len(sim.document) > len(document), retried
    assert sim.errors == [] and sim.violations == []
