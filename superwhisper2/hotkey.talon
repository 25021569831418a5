# Win+Shift+V starts and stops dictation wherever a user would press it. It acts when the keys
# come up: text typed while Win and Shift are held would become Win+Shift shortcuts
# (talonvoice/talon#675), so nothing is typed from the moment the keys go down until then.
mode: command
mode: dictation
mode: user.whisper
-
key(super-shift-v): user.whisper_hotkey_down()
key(super-shift-v:up): user.whisper_toggle()
