"""`python -m bench` (`make bench`): every benchmark, one after the other, in fresh processes."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS: tuple[str, ...] = (
    "throughput", "broadcast", "pace", "databases", "processes", "crash", "triage", "data_scale",
)  # fmt: skip
"""Module names under bench/, in the order they run."""


def main() -> int:
    failed = [
        name
        for name in BENCHMARKS
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False).returncode != 0
    ]
    if failed:
        print(f"\nfailed to run: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
