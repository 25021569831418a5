"""Property-based tests: audio conversion takes anything or refuses it clearly; joining never loses words."""

import numpy as np


def _given(*strategies, max_examples=200):
    """hypothesis.given, imported when the test runs (Talon imports this file too)."""
    def wrap(test):
        def run():
            from hypothesis import HealthCheck, given, settings

            settings(max_examples=max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])(
                given(*[make() for make in strategies])(test))()
        run.__name__ = test.__name__
        run.__doc__ = test.__doc__
        return run
    return wrap


def _audio_arrays():
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    dtypes = st.sampled_from([np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.uint8])
    shapes = st.one_of(
        st.tuples(st.integers(0, 4000)),
        st.tuples(st.integers(1, 2000), st.integers(1, 3)),
        st.tuples(st.integers(1, 3), st.integers(1, 2000)),
        st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
    )
    return st.tuples(dtypes.flatmap(lambda dtype: hnp.arrays(dtype, shapes)),
                     st.sampled_from([8_000, 11_025, 16_000, 22_050, 44_100, 48_000]))


def _texts():
    from hypothesis import strategies as st

    alphabet = st.sampled_from(list("abcdéèçàù XYZ,.;:!?'’()«»\n\t-") + ["  ", "…"])
    return st.lists(alphabet, max_size=60).map("".join)


def _text_pairs():
    from hypothesis import strategies as st

    return st.tuples(_texts(), _texts())


@_given(_audio_arrays)
def test_any_array_becomes_clean_16k_mono_float_or_a_clear_audio_error(case):
    from superwhisper2.engine.audio import load_audio
    from superwhisper2.engine.errors import AudioError

    array, rate = case
    try:
        out = load_audio(array, sample_rate=rate)
    except AudioError as error:
        assert str(error)
        return
    assert out.dtype == np.float32 and out.ndim == 1 and out.size >= 1
    assert np.isfinite(out).all() and np.abs(out).max() <= 1.0
    frames = max(array.shape) if array.ndim == 2 else array.size
    assert abs(out.size - frames * 16_000 / rate) <= 1


@_given(_text_pairs, max_examples=500)
def test_joining_never_raises_never_drops_words_and_spaces_once(pair):
    from superwhisper2.engine.text import clean, join

    before, text = pair
    typed = join(before, text)
    assert typed.split() == clean(text).split()  # every word, in order, nothing added
    assert "  " not in typed and " \n" not in typed and "\n " not in typed
    assert clean(clean(text)) == clean(text)  # idempotent
    if typed:
        assert typed.lstrip(" ") == clean(text) and len(typed) - len(typed.lstrip(" ")) <= 1


@_given(_text_pairs, max_examples=300)
def test_french_joining_and_spoken_punctuation_never_raise_or_lose_words(pair):
    from superwhisper2.engine.text import clean, join, spoken_punctuation

    before, text = pair
    typed = join(before, text, french=True)
    visible = lambda value: "".join(value.replace("\u00a0", " ").split())
    assert visible(typed) == visible(clean(text))  # spacing moves, nothing else changes
    converted = spoken_punctuation(text)
    assert isinstance(converted, str) and len(converted) <= len(text) + 2
