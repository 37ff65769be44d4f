"""`kill -9` at random points of import, index and training (seeded), then check the shop: it opens, it searches,
the next run resumes and finishes, and no worker process outlives the killed command.

Usage: python benchmarks/kill_runs.py [--runs 20] [--products 200] [--phases import,index,reindex,train].
Writes results/kill_runs_<phases>.json.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from common import SHOPS, demo_source, write_result

from daogou.shop import Shop


def descendants(pid: int) -> list[int]:
    """Processes whose parent chain leads to `pid` (read from /proc while `pid` is alive)."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = next(int(line.split()[1]) for line in status.read_text().splitlines() if line.startswith("PPid:"))
        except (OSError, StopIteration, ValueError):
            continue
        children.setdefault(ppid, []).append(int(status.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def kill_at(command: list[str], after: float) -> tuple[bool, int]:
    """Run `command`, SIGKILL it after `after` seconds (if still running); returns (killed, orphans left after 10 s)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + after
    family: set[int] = set()
    while time.time() < deadline and process.poll() is None:
        family |= set(descendants(process.pid))
        time.sleep(0.1)
    if process.poll() is not None:
        return False, 0
    family |= set(descendants(process.pid))
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    end = time.time() + 10
    while time.time() < end and any(alive(p) for p in family):
        time.sleep(0.2)
    orphans = [p for p in family if alive(p)]
    for pid in orphans:
        os.kill(pid, signal.SIGKILL)
    return True, len(orphans)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--phases", default="import,index,reindex,train", help="which commands to kill, comma-separated")
    args = parser.parse_args()
    rng = random.Random(13)
    source = demo_source()
    root = SHOPS / f"kill-runs-{args.phases.replace(',', '-')}"
    cli = [sys.executable, "-m", "daogou.cli"]
    results: dict[str, dict[str, int]] = {}
    for phase in args.phases.split(","):
        stats = {"runs": 0, "killed": 0, "orphans": 0, "opened": 0, "searched": 0, "resumed": 0}
        for run in range(args.runs):
            shop_path = root / f"{phase}-{run}"
            subprocess.run(["rm", "-rf", str(shop_path)], check=True)
            Shop.init(shop_path, workers=2).close()
            do_import = [*cli, "import", str(shop_path), str(source.csv), "--preset", "myntra", "--limit", str(args.products)]
            if phase != "import":
                subprocess.run(do_import, check=True, stdout=subprocess.DEVNULL)
            if phase in ("train", "reindex"):
                subprocess.run([*cli, "index", str(shop_path)], check=True, stdout=subprocess.DEVNULL)
            if phase == "reindex":  # a live index exists; new products arrive and the re-index is killed
                more = [*cli, "import", str(shop_path), str(source.csv), "--preset", "myntra", "--limit", str(args.products + 60)]
                subprocess.run(more, check=True, stdout=subprocess.DEVNULL)
            index = [*cli, "index", str(shop_path)]
            command = {"import": do_import, "index": index, "reindex": index, "train": [*cli, "train", "colour", str(shop_path)]}[phase]
            killed, orphans = kill_at(command, rng.uniform(0.3, {"import": 3.0, "index": 20.0, "reindex": 20.0, "train": 12.0}[phase]))
            stats["runs"] += 1
            stats["killed"] += killed
            stats["orphans"] += orphans
            with Shop.open(shop_path) as shop:  # it always opens
                stats["opened"] += 1
                try:
                    shop.search("black shoes", k=3)
                    stats["searched"] += 1
                except Exception:  # noqa: BLE001 - no index yet after a killed import/first index: resumed below
                    pass
            finished = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0  # the next run resumes
            if phase == "import":
                finished = finished and subprocess.run([*cli, "index", str(shop_path)], stdout=subprocess.DEVNULL).returncode == 0
            with Shop.open(shop_path) as shop:
                expected = args.products + (60 if phase == "reindex" else 0)
                finished = finished and shop.store.count() == expected and bool(shop.search("black shoes", k=3).hits)
            stats["resumed"] += finished
            subprocess.run(["rm", "-rf", str(shop_path)], check=True)
        print(phase, stats)
        results[phase] = stats
    write_result(f"kill_runs_{'_'.join(args.phases.split(','))}", {"products": args.products, "results": results})


if __name__ == "__main__":
    main()
