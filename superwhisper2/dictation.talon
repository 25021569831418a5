# While dictating, Talon's command and dictation modes are off and only these commands exist.
mode: user.whisper
-
whisper stop: user.whisper_stop()
whisper cancel: user.whisper_cancel()
whisper undo: user.whisper_undo()
whisper paste last: user.whisper_paste_last()
whisper language french: user.whisper_language("fr")
whisper language english: user.whisper_language("en")
whisper language auto: user.whisper_language("auto")
# Catch-all: every utterance matches, so Talon hands its audio to pre:phrase, and does nothing
# (the community's sleep-mode idiom). superwhisper2 sends that audio to Whisper.
<phrase>: skip()
