"""The rules behind the stories, checked in milliseconds without Talon or a model: how phrases are
typed and undone, what a phrase means, how text is joined, what is a loop, when settings are read."""

import sys

if "pytest" in sys.modules:  # Talon imports every .py, this one too: under Talon it defines nothing

    from typing import Any, Callable, List, Optional, Tuple

    import pytest

    from superwhisper2.interpret import command_at_end, interpret, near_command, trailing_words
    from superwhisper2.keys import Hotkey
    from superwhisper2.phrases import Boundary, Phrase, Typed
    from superwhisper2.typist import Typist


    class FakeKeyboard:
        """The typist's keyboard: a document, a clock the test moves, and keys the test holds."""

        def __init__(self) -> None:
            self.document = ""
            self.clock = 0.0
            self.timers: List[Tuple[float, Callable[[], Any], int]] = []
            self.down: Optional[bool] = False
            self.cancelled: set = set()
            self.next = 0

        def insert(self, text: str) -> None:
            assert not self.down, f"typed {text!r} while the hotkey's keys were down"
            self.document += text

        def backspace(self, count: int) -> None:
            self.document = self.document[:-count]

        def later(self, seconds: float, fn: Callable[[], Any]) -> int:
            self.next += 1
            self.timers.append((self.clock + seconds, fn, self.next))
            return self.next

        def cancel(self, job: Any) -> None:
            self.cancelled.add(job)

        def now(self) -> float:
            return self.clock

        def keys_down(self) -> Optional[bool]:
            return self.down

        def wait(self, seconds: float) -> None:
            """Time passes: the timers due run, in order."""
            self.clock += seconds
            while True:
                due = sorted((t for t in self.timers if t[0] <= self.clock and t[2] not in self.cancelled),
                             key=lambda t: t[0])
                if not due:
                    return
                self.timers.remove(due[0])
                due[0][1]()


    @pytest.fixture
    def keyboard() -> FakeKeyboard:
        return FakeKeyboard()


    @pytest.fixture
    def typist(keyboard: FakeKeyboard) -> Typist:
        typist = Typist(keyboard)
        typist.new_dictation(1)
        return typist


    def phrase(number: int, text: str, **extra: Any) -> Phrase:
        return Phrase(1, number, text, **extra)


    # -- typing -----------------------------------------------------------------------------------------

    def test_phrases_are_joined_by_one_space_and_none_before_punctuation(typist, keyboard):
        for number, text in enumerate(["Bonjour", "tout le monde", ", comment ça va ?"], 1):
            typist.type(phrase(number, text, french=True))
        assert keyboard.document == "Bonjour tout le monde, comment ça va\u00a0?"


    def test_a_held_mark_is_replaced_by_the_mark_the_next_phrase_brings(typist, keyboard):
        typist.type(phrase(1, "And so my fellow Americans.", hold_mark=True))
        assert keyboard.document == "And so my fellow Americans"
        typist.type(phrase(2, "ask not.", boundary=Boundary(",", 1), hold_mark=True))
        assert keyboard.document == "And so my fellow Americans, ask not"
        keyboard.wait(typist.close_after + 0.01)  # a long pause: the sentence ended
        assert keyboard.document == "And so my fellow Americans, ask not."


    def test_a_mark_said_alone_takes_the_place_of_whichever_mark_is_held(typist, keyboard):
        typist.type(phrase(1, "Is it a gospel.", hold_mark=True))
        typist.type(phrase(2, "", boundary=Boundary("?", None)))
        assert keyboard.document == "Is it a gospel?"


    def test_undo_removes_exactly_the_last_phrase_and_its_mark_waits_again(typist, keyboard):
        typist.type(phrase(1, "First sentence.", hold_mark=True))
        typist.type(phrase(2, "and more", boundary=Boundary(",", 1), hold_mark=True))
        typist.undo_last(lambda: pytest.fail("there was something to undo"))
        assert keyboard.document == "First sentence"  # the held "." waits again
        keyboard.wait(typist.close_after + 0.01)
        assert keyboard.document == "First sentence."


    def test_undo_of_a_phrase_still_on_its_way_drops_it_when_it_arrives(typist, keyboard):
        typist.type(phrase(1, "Kept."))
        typist.undo_phrase(2, 1, lambda: pytest.fail("phrase 2 was there to undo"))
        outcomes: List[Typed] = []
        typist.type(phrase(2, "Taken back.", done=outcomes.append))
        assert keyboard.document == "Kept." and outcomes == [Typed(cancelled=True)]


    def test_undo_of_a_phrase_that_brings_nothing_removes_the_one_typed_before(typist, keyboard):
        typist.type(phrase(1, "Kept."))
        typist.type(phrase(2, "Removed."))
        typist.undo_phrase(3, 1, lambda: pytest.fail("phrase 2 was there to undo"))
        typist.type(phrase(3, ""))  # a cough: Whisper heard nothing
        assert keyboard.document == "Kept."


    def test_nothing_is_typed_while_the_hotkeys_keys_are_down_and_all_of_it_once_they_are_up(typist, keyboard):
        keyboard.down = True
        typist.pause_until_keys_up(2.3)
        typist.type(phrase(1, "Hello"))
        keyboard.wait(1.0)
        assert keyboard.document == ""
        keyboard.down = False  # the system says Win, Shift and V are up
        keyboard.wait(0.05)
        assert keyboard.document == "Hello"


    def test_without_the_systems_word_typing_waits_for_the_key_up_and_the_delay(typist, keyboard):
        keyboard.down = None  # not Windows: nobody can say
        typist.pause_until_keys_up(2.3)
        typist.type(phrase(1, "Hello"))
        keyboard.wait(0.5)
        typist.resume_in(0.3)  # Talon's :up came
        keyboard.wait(0.2)
        assert keyboard.document == ""
        keyboard.wait(0.2)
        assert keyboard.document == "Hello"


    def test_an_undo_waiting_for_a_phrase_of_a_dictation_that_ended_undoes_nothing_later(typist, keyboard):
        typist.type(phrase(1, "Kept."))
        typist.undo_phrase(2, 1, lambda: pytest.fail("nothing to tell"))
        typist.cancel(1)  # "whisper cancel": phrase 2 never comes
        typist.new_dictation(2)
        typist.type(Phrase(2, 3, "Elsewhere."))
        assert keyboard.document == "Kept.Elsewhere."  # nothing removed (a new dictation types after its own text)

    def test_two_undos_while_a_phrase_is_on_its_way_remove_it_and_the_one_before(typist, keyboard):
        typist.type(phrase(1, "First."))
        typist.type(phrase(2, "Second."))
        typist.undo_phrase(3, 1, lambda: pytest.fail("phrase 3 was there to undo"))
        typist.undo_phrase(3, 1, lambda: pytest.fail("phrase 2 was there to undo"))
        typist.type(phrase(3, "Third."))
        assert keyboard.document == "First."

    def test_a_cancelled_dictation_types_nothing_and_each_phrase_is_told(typist, keyboard):
        keyboard.down = True
        typist.pause_until_keys_up(2.3)
        outcomes: List[Typed] = []
        typist.type(phrase(1, "Never typed", done=outcomes.append))
        typist.cancel(1)
        keyboard.down = False
        keyboard.wait(3.0)
        assert keyboard.document == "" and outcomes == [Typed(cancelled=True)]


    # -- what a phrase means ----------------------------------------------------------------------------

    def test_commands_said_to_whisper_act_and_are_never_typed():
        assert command_at_end("Et voilà, whisper stop.") == ("Et voilà", "stop")
        assert command_at_end("Whisper undo !") == ("", "undo")
        assert command_at_end("I whisper to stop") == ("I whisper to stop", None)
        assert near_command("Whistler stop") and not near_command("The whistle stopped the game")
        assert trailing_words("et voilà whisper stop".split(), {"whisper stop": "stop"}) == (2, "whisper stop")


    def test_spoken_punctuation_replacements_and_a_mark_said_alone():
        assert interpret("Virgule.", {}, True).mark_alone
        meaning = interpret("C'est la fin point d'interrogation", {}, True)
        assert meaning.text == "C'est la fin?" and meaning.breaks_sentence
        assert interpret("au point mort", {}, True).text == "au point mort"
        assert interpret("super whisper rocks", {"super whisper": "superwhisper"}, True).text == "superwhisper rocks"


    def test_text_joins_with_french_typography_and_keeps_line_breaks():
        from superwhisper2.engine.text import french_spacing, join

        assert join("Bonjour", "ça va ?", french=True) == " ça va\u00a0?"
        assert french_spacing("Attention : ceci ; cela !") == "Attention\u00a0: ceci\u00a0; cela\u00a0!"
        assert join("Fin.", "\nSuite") == "\nSuite" and join("", "  Début  ") == "Début"


    # -- only speech becomes text -----------------------------------------------------------------------

    @pytest.mark.parametrize("text", ["Ah ah ah ah ah ah", "C'est ça, c'est ça, c'est ça !", "Hahaha !",
                                      "Je suis bien, je suis bien, je suis bien", "Oh ! Oh ! Oh !"])
    def test_the_same_words_three_times_in_a_row_are_a_loop(text):
        from superwhisper2.engine.verdict import repeated

        assert repeated(text)


    @pytest.mark.parametrize("text", ["Very, very good.", "Allume la lumière dans la chambre", "Minuteur 10 minutes",
                                      "Turn off all of the lights in the office"])
    def test_ordinary_dictation_is_no_loop(text):
        from superwhisper2.engine.verdict import repeated

        assert repeated(text) is None


    # -- the hotkey and the settings -------------------------------------------------------------------

    @pytest.mark.parametrize("system_says", [True, False])
    def test_a_held_key_repeating_is_not_a_second_press(system_says):
        hotkey = Hotkey()
        assert hotkey.pressed(0.0, system_says)
        for at in (0.5, 0.53, 0.56, 0.59):  # the key repeating, no release seen
            assert not hotkey.pressed(at, system_says)
        hotkey.released()
        assert hotkey.pressed(4.0, system_says)

    def test_without_the_systems_word_a_gap_in_the_repeats_is_a_new_press():
        hotkey = Hotkey()
        assert hotkey.pressed(0.0, False)
        assert not hotkey.pressed(0.5, False) and not hotkey.pressed(0.53, False)  # held: repeating
        assert hotkey.pressed(1.2, False)  # the repeats stopped (let go, no :up): pressed again
        assert not hotkey.pressed(2.0, False)  # before a first repeat, this soon: taken for one
        assert hotkey.pressed(9.0, False)


    def test_settings_are_read_again_only_in_command_mode_and_not_while_dictating():
        from superwhisper2.options import SETTINGS, Settings

        values = {f"user.{name}": default for name, (_, default, _) in SETTINGS.items()}
        settings = Settings()
        options, changed = settings.read(values.get, command=False, listening=False, poll=False)
        assert changed and not settings.known  # read once to have something, but not known: no model yet
        values["user.whisper_model"] = "base"
        assert settings.read(values.get, command=False, listening=False, poll=True) == (options, False)
        options, changed = settings.read(values.get, command=True, listening=False, poll=True)
        assert changed and settings.known and options.model.model == "base"
        values["user.whisper_model"] = "small"
        assert settings.read(values.get, command=True, listening=True, poll=True)[1] is False  # dictating
