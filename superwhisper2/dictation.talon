# While dictating, Talon's command and dictation modes are off and only these commands exist.
mode: user.whisper
-
whisper stop: user.whisper_stop()
whisper cancel: user.whisper_cancel()
# Catch-all: every utterance matches, so Talon hands its audio to pre:phrase, and does nothing
# (the community's sleep-mode idiom). superwhisper2 sends that audio to Whisper.
<phrase>: skip()
