# Win+Shift+V starts and stops dictation wherever a user would press it. It acts when the key
# goes down (command mode goes quiet before the first word), and nothing is typed until the keys
# are up: text typed while Win and Shift are held would become Win+Shift shortcuts
# (talonvoice/talon#675). Binding the key-down also keeps it from Windows (PowerToys' Advanced
# Paste uses the same keys).
mode: command
mode: dictation
mode: user.whisper
-
key(super-shift-v): user.whisper_hotkey_down()
key(super-shift-v:up): user.whisper_hotkey_up()
