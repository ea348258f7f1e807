"""What keeping the devices' values costs a CtAPI write: `Plant.write` of a setpoint with no
write listener (as before), with the scenario's generators listening (every run), and with the
device store committing each held write to disk as well (`--state-dir`). Median of 7 batches of
5000 writes each, the three interleaved in one process, so they are side by side.

    python -m bench.device_writes

docs/performance.md ("Held device values") has the numbers.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from emulator.plant.devices import DeviceStore, device_file, hold_writes
from emulator.plant.state import Plant
from emulator.scenario.generators import Generators
from emulator.topology.load import demo_text, load_text

RUNS = 7
WRITES = 5000


def batch(plant: Plant) -> float:
    """Microseconds per write over one batch of WRITES."""
    started = time.perf_counter()
    for i in range(WRITES):
        plant.write("TANK1_HIGH_SP", "55" if i % 2 else "45", float(i))
    return (time.perf_counter() - started) / WRITES * 1e6


def main() -> None:
    topology = load_text(demo_text()).model
    plain = Plant(topology)
    listened = Plant(topology)
    generators = Generators(topology.generators, seed=0, tick=1.0, start=0.0, types={})
    listened.on_write(lambda state, *_: generators.written(state.spec.name, 0.0, 0.0))
    with tempfile.TemporaryDirectory() as folder:
        kept = Plant(topology)
        store = DeviceStore.open(device_file(Path(folder), topology.project.name))
        hold_writes(kept, topology, store, 0.0)
        plants = {
            "no listener": plain,
            "generators listening": listened,
            "held on disk (--state-dir)": kept,
        }
        times: dict[str, list[float]] = {name: [] for name in plants}
        for _ in range(RUNS):  # interleaved, so load on the box falls on all three alike
            for name, plant in plants.items():
                times[name].append(batch(plant))
        store.close()
    for name, runs in times.items():
        print(f"Plant.write, {name}: {statistics.median(runs):.1f} us")


if __name__ == "__main__":
    main()
