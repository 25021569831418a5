# superwhisper2's settings, each with its default (declared in options.py, applied by Talon).
# Nothing here is active: uncomment a line (and `settings():`) to change it for every mode,
# or set it in a .talon file of your own. A file of yours without a `mode:` line applies in
# command mode, which is where dictation starts: superwhisper2 reads its settings when you
# press Win+Shift+V (or say "whisper start") and keeps them until "whisper stop".
mode: all
-
# settings():
#     # Whisper model: a name (large-v3-turbo, medium, base...) or a local CTranslate2 folder
#     user.whisper_model = "large-v3-turbo"
#     # Folder where named models are downloaded and looked up (empty: the Hugging Face cache)
#     user.whisper_model_dir = ""
#     # auto, cuda or cpu
#     user.whisper_device = "auto"
#     # auto (float16 on CUDA, int8 on CPU), float16, int8_float16, int8, float32...
#     user.whisper_compute_type = "auto"
#     # Model used on the CPU when CUDA fails
#     user.whisper_cpu_fallback_model = "base"
#     # CPU threads for Whisper (0 = half the cores, leaving the rest to Talon)
#     user.whisper_cpu_threads = 0
#     # Language code (fr, en...) or auto
#     user.whisper_language = "fr"
#     # With language auto: the languages detection may choose from
#     user.whisper_languages = "fr,en"
#     # Beam size (1 = greedy, faster, less accurate)
#     user.whisper_beam_size = 5
#     # Candidates when sampling at a temperature above 0
#     user.whisper_best_of = 5
#     # Beam search patience
#     user.whisper_patience = 1.0
#     # Beam search length penalty
#     user.whisper_length_penalty = 1.0
#     # Penalty on repeated tokens (1 = none)
#     user.whisper_repetition_penalty = 1.0
#     # Forbid repeating n-grams of this size (0 = off)
#     user.whisper_no_repeat_ngram_size = 0
#     # Temperatures tried in turn when a result is unsure
#     user.whisper_temperature = "0.0,0.2,0.4,0.6,0.8,1.0"
#     # Above this, a result is too repetitive
#     user.whisper_compression_ratio_threshold = 2.4
#     # Below this average log-probability, a result is unsure
#     user.whisper_log_prob_threshold = -1.0
#     # Above this no-speech probability a phrase is not typed (no speech phrase of the dev corpus
#     # reaches 0.41)
#     user.whisper_no_speech_threshold = 0.6
#     # Text given to Whisper before every phrase (style, spelling)
#     user.whisper_initial_prompt = ""
#     # Words Whisper should expect (names, jargon)
#     user.whisper_hotwords = ""
#     # Shortest encoder window in seconds (0 = the full 30 s; 15 is 2-3x faster on a CPU but loses
#     # words)
#     user.whisper_min_window = 0.0
#     # Skip phrases without speech (Silero VAD) before Whisper
#     user.whisper_vad = 1
#     # How sure Whisper must be that your language is spoken when it suspects no speech (0 = never
#     # asked; higher refuses more songs and sounds, and sooner a short word said alone)
#     user.whisper_speech_threshold = 0.04
#     # Compute word timestamps (slower: uses faster-whisper's full path)
#     user.whisper_word_timestamps = 0
#     # Seconds without speech before dictation stops by itself (0 = never)
#     user.whisper_auto_stop = 0.0
#     # Longest phrase in seconds; longer ones are refused and kept for retry
#     user.whisper_max_phrase = 60.0
#     # Seconds of speech waiting for Whisper before dictation stops to let it catch up
#     user.whisper_max_backlog = 60.0
#     # Show the status overlay while dictating
#     user.whisper_overlay = 1
#     # Warn in the log when a phrase takes longer than this
#     user.whisper_max_latency_ms = 500
#     # Warn in the log when GPU memory in use exceeds this (0 = never)
#     user.whisper_max_vram_gb = 10.0
#     # Let Win+Shift+V start dictation from sleep mode
#     user.whisper_hotkey_in_sleep = 0
#     # After the hotkey, wait this long before typing (modifiers released)
#     user.whisper_type_delay_ms = 300
#     # Say 'virgule', 'à la ligne', 'comma', 'new line'... to type punctuation
#     user.whisper_spoken_punctuation = 1
#     # A phrase said within this many seconds of the previous one is heard with it, so a sentence
#     # cut by a pause reads as one; a phrase's closing mark waits as long for the next (0 = off)
#     user.whisper_join_pause = 0.0
#     # How much of what this dictation typed is given to Whisper as context for the next phrase, in
#     # characters (0 = none)
#     user.whisper_context_chars = 0
#     # French typography: a no-break space before ; : ! ? in French text
#     user.whisper_french_spacing = 1
#     # Where every transcription is kept (empty: superwhisper2/history.jsonl in Talon's home)
#     user.whisper_history_file = ""
