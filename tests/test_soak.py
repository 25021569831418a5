"""Soak: 500 phrases through the plugin with tiny.en; threads flat, memory bounded, latency stable."""

import threading

SLOW = True  # marked slow; CI runs it too


def test_soak_500_phrases_threads_flat_memory_bounded_latency_stable(talon, tiny_model_dir, phrases, story):
    from superwhisper2.engine import models
    from talon_sim import cut_phrases

    sim = talon(settings={"user.whisper_model": str(tiny_model_dir), "user.whisper_language": "en",
                          "user.whisper_overlay": False})
    story.ready(sim)
    sim.press(story.hotkey)
    pool = cut_phrases(phrases["jfk_en.flac"]) + [phrases["quilter_en.wav"], phrases["noise_only.wav"]]
    latencies, memory, threads = [], [], []
    for index in range(500):
        done = story.finished()
        sim.speak(pool[index % len(pool)])
        assert sim.wait_until(lambda: story.finished() > done, 60), index
        latencies.append(story.records()[-1]["latency_ms"])
        if index % 50 == 49:
            memory.append(models.process_memory_mb())
            threads.append(threading.active_count())
    sim.press(story.hotkey)
    first, second = sorted(latencies[50:275]), sorted(latencies[275:])
    p95 = lambda values: values[int(len(values) * 0.95)]
    growth = memory[-1] - memory[0]
    print(f"\nsoak: 500 phrases; threads every 50: {threads}; memory MB: {[round(m) for m in memory]} "
          f"(growth after warm-up {growth:.1f} MB); p95 latency {p95(first):.0f} ms then {p95(second):.0f} ms")
    assert max(threads) == min(threads)
    assert growth < 50
    assert p95(second) < 2 * p95(first)
    assert len(story.session().pipeline.kept) == 0 and sim.errors == []
