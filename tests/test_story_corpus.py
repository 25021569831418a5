"""Dictating sentence after sentence from the dev corpus: every word said is typed once.

The user says recordings the project never tuned on, one after the other, each once the
previous one is typed: read sentences cut where Talon would cut them, then unrelated short
commands (where hearing a phrase with the one before once typed "Allume le bureau en rouge
Allume la lumière dans la chambre Allume le bureau en rouge"). With joining on and off, no
word is typed more often than it was said, and the text is no worse than the bare model's.
"""

from collections import Counter
DICTATIONS = {
    "fr": ["fleurs_fr_004.wav", "stp_fr_allume_la_lumi_re_dans_la_chambre_jlo_or.wav", "stp_fr_allume_le_bureau_en_rouge.wav",
           "stp_fr_allume_toutes_les_lumi_res.wav", "stp_fr_ouvre_les_volets.wav", "stp_fr_teins_toutes_les_lumi_res.wav"],
    "en": ["fleurs_en_003.wav", "stp_en_turn_off_all_of_the_lights_in_the_office.wav",
           "stp_en_what_s_the_weather_like_in_new_york.wav", "stp_en_what_s_the_temperature_of_the_ecobee.wav",
           "stp_en_set_a_timer_for_5_minutes.wav", "ljspeech_LJ001-0016.wav"],
}
CASES = [(language, join) for language in DICTATIONS for join in (3.0, 0.0)]


def test_every_word_said_is_typed_once(case, dev_corpus, talon, story, base_model):
    import corpus
    from talon_sim import cut_phrases

    from superwhisper2.engine.audio import load_audio

    language, join = case
    recordings = [dev_corpus[name] for name in DICTATIONS[language]]
    audio = {r.name: load_audio(r.path) for r in recordings}
    bare = {}
    for r in recordings:  # the bare model on this machine, in this run
        segments, _ = base_model.whisper.transcribe(audio[r.name], language=language, beam_size=5,
                                                    condition_on_previous_text=False)
        bare[r.name] = " ".join(segment.text for segment in segments)
    sim = talon(settings={"user.whisper_language": language, "user.whisper_join_pause": join})
    story.ready(sim)
    sim.press(story.hotkey)
    for r in recordings:
        for phrase in cut_phrases(audio[r.name]) or [audio[r.name]]:
            done = story.finished()
            sim.speak(phrase)
            assert sim.wait_until(lambda: story.finished() > done, 120)
    sim.press(story.hotkey)
    sim.settle(quiet=0.5)
    typed = _trigrams(sim.document, language)
    said = _trigrams(" ".join(r.text for r in recordings), language)
    heard = _trigrams(" ".join(bare.values()), language)
    doubled = {words: count for words, count in typed.items() if count >= 2 and count > max(said[words], heard[words])}
    assert doubled == {}, (sim.document, bare)  # three words typed again are words typed twice
    if join:  # the default: sentences cut at their pauses read as whole ones again
        references = " ".join(r.text for r in recordings)
        assert corpus.wer([references], [sim.document], language) <= \
            corpus.wer([references], [" ".join(bare.values())], language) + 0.05, (sim.document, bare)
    assert sim.errors == [] and sim.violations == []


def _trigrams(text, language):
    import corpus

    words = corpus.normalise(text, language).split()
    return Counter(tuple(words[i:i + 3]) for i in range(len(words) - 2))
