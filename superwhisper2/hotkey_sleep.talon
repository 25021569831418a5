# In sleep mode the hotkey works only if user.whisper_hotkey_in_sleep is on (the action checks).
mode: sleep
-
key(super-shift-v:up): user.whisper_toggle_from_sleep()
