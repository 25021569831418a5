# Voice commands in command mode (no mode line: command mode only).
whisper start: user.whisper_start()
whisper status: user.whisper_status()
whisper retry: user.whisper_retry()
whisper doctor: user.whisper_doctor()
