"""`make bench`: runs each benchmark module's `run()` and merges the figures it returns
(name -> number) into bench/results.json.

`python -m bench inference` runs only the modules named; figures of the others are kept.
"""

import importlib
import json
import sys
from pathlib import Path

MODULES = ("inference", "quality", "zip", "sync", "cost", "batch", "scale")
RESULTS = Path(__file__).with_name("results.json")


def main(names: list[str]) -> None:
    unknown = set(names) - set(MODULES)
    if unknown:
        sys.exit(f"unknown benchmark(s) {sorted(unknown)}; known: {', '.join(MODULES)}")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for name in names or MODULES:
        print(f"\n== bench.{name}", flush=True)
        results.update(importlib.import_module(f"bench.{name}").run())
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"\nfigures written to {RESULTS}")


if __name__ == "__main__":
    main(sys.argv[1:])
