# Win+Shift+V starts and stops dictation wherever a user would press it.
mode: command
mode: dictation
mode: user.whisper
-
key(super-shift-v): user.whisper_toggle()
