# In sleep mode the hotkey acts only if user.whisper_hotkey_in_sleep is on (the action checks);
# its key-down is bound all the same, so it never goes on to Windows (PowerToys' Advanced Paste).
mode: sleep
-
key(super-shift-v): user.whisper_hotkey_down_in_sleep()
key(super-shift-v:up): user.whisper_hotkey_up()
