"""Benchmark: cold start of whole commands, as ratios to ``python -c "import spacy, pandas"``.

Each command runs in a fresh process, timed with ``time.perf_counter`` around
``subprocess.run``. The commands run side by side: each repetition runs every command once,
in turn, so that the load of the machine falls on all of them alike, and the table reports
the median of the repetitions and its ratio to the baseline's median measured in the same run:

* baseline: ``python -c "import spacy, pandas"`` (what any spaCy + pandas tool pays);
* reading the codebook: ``import uppks_qual as uq; uq.load_codebook("codebook.yaml")``;
* ``uppks-qual --help``;
* ``uppks-qual check`` on the bundled corpus and codebook (its defaults);
* the first ``autocode_text`` in a fresh process (builds the pipeline and the matchers).

The bundled corpus in ``data/interviews`` is an illustrative reconstruction, not field data.
Run from the repository root::

    .venv/bin/python benchmarks/bench_startup.py --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The console script installed next to the interpreter running this benchmark.
SCRIPT = str(Path(sys.executable).with_name("uppks-qual"))
AUTOCODE = ("import uppks_qual as uq; cb = uq.load_codebook('codebook.yaml'); "
            "uq.autocode_text('I: Angsuran kami macet sejak putaran tiga.', cb)")

#: name -> (command, target ratio to the baseline or None).
COMMANDS: dict[str, tuple[list[str], float | None]] = {
    "import spacy, pandas (baseline)": ([sys.executable, "-c", "import spacy, pandas"], None),
    "load_codebook": ([sys.executable, "-c",
                       "import uppks_qual as uq; uq.load_codebook('codebook.yaml')"], None),
    "uppks-qual --help": ([SCRIPT, "--help"], None),
    "uppks-qual check": ([SCRIPT, "check"], 2.0),
    "first autocode_text": ([sys.executable, "-c", AUTOCODE], 3.0),
}
BASELINE = next(iter(COMMANDS))


def run_once(command: list[str]) -> float:
    """Wall-clock seconds of one run of ``command`` from the repository root."""
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(repeat: int = 5) -> dict[str, list[float]]:
    """Seconds per command, ``repeat`` interleaved rounds (one warm-up round first, not kept)."""
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for round_ in range(repeat + 1):
        for name, (command, _) in COMMANDS.items():
            seconds = run_once(command)
            if round_:
                times[name].append(seconds)
    return times


def table(times: dict[str, list[float]]) -> dict[str, dict[str, float | bool | None]]:
    """Median seconds, ratio to the baseline, target and whether it is met, per command."""
    base = statistics.median(times[BASELINE])
    out: dict[str, dict[str, float | bool | None]] = {}
    for name, (_, target) in COMMANDS.items():
        median = statistics.median(times[name])
        ratio = median / base
        out[name] = {"median_s": median, "ratio": ratio, "target": target,
                     "met": None if target is None else ratio <= target}
    return out


def markdown(rows: dict[str, dict[str, float | bool | None]]) -> str:
    """The table as markdown."""
    lines = ["| command | median s | ratio to baseline | target | met? |",
             "|---|---|---|---|---|"]
    for name, row in rows.items():
        target = "" if row["target"] is None else f"<= {row['target']:.0f}x"
        met = "" if row["met"] is None else ("yes" if row["met"] else "NO")
        lines.append(f"| {name} | {row['median_s']:.3f} | {row['ratio']:.2f}x | {target} | "
                     f"{met} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, dict[str, float | bool | None]]:
    """Run the benchmark, print the table and return it (command -> figures)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds of every command")
    args = parser.parse_args(argv)
    rows = table(measure(args.repeat))
    print(f"Cold start, median of {args.repeat} interleaved rounds (bundled illustrative "
          "corpus and codebook):\n")
    print(markdown(rows))
    return rows


if __name__ == "__main__":
    main()
