"""A Talon simulator: loads this repository the way Talon does and runs it (../shared/TALON_FACTS.md).

Importing it does nothing (Talon imports it too): everything happens when a test builds `Talon`.
"""

from .audio import WORD_BOUNDARY, cut_phrases, sentence_pieces
from .facts import Facts, split_switches
from .harness import HOTKEY, Dictation
from .imports import import_report
from .loading import module_name, user_dir_with, user_files
from .microphone import cubeb_module
from .process import SettingsReadDuringImport, Talon
from .scheduler import MAIN_THREAD_NAME
from .stubs import Word
from .talon_files import TalonFile, parse_talon_file
from .voice import Phrase

__all__ = ["Dictation", "Facts", "HOTKEY", "MAIN_THREAD_NAME", "Phrase", "SettingsReadDuringImport", "Talon", "TalonFile", "WORD_BOUNDARY",
           "Word", "cubeb_module", "cut_phrases", "import_report", "module_name", "parse_talon_file",
           "sentence_pieces", "split_switches", "user_dir_with", "user_files"]
