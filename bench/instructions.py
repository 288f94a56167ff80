"""Instructions per request of the four in-process routes, counted by valgrind: a figure the host's noise
cannot move, for comparing two versions of the code.

    python bench/instructions.py [verify|redeem|ceiling_json|ceiling_insert] [--requests 300]

Runs bench/inprocess.py under `valgrind --tool=callgrind` twice, side by side, with 100 and 100 +
--requests requests of the route after the same warm-up, and divides the difference in instructions
by --requests, so the interpreter's start, the imports and the warm-up cancel out. Each run seeds its
own database the same way (the seeding runs outside valgrind). Counts vary by about 1% between runs;
compare versions in one sitting, each in its own worktree. Needs valgrind (apt-get install valgrind);
a run takes a few minutes.
"""
import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("route", nargs="?", default="verify",
                        choices=("ceiling_json", "verify", "ceiling_insert", "redeem"))
    parser.add_argument("--requests", type=int, default=300, help="the difference between the two runs")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is needed: apt-get install valgrind")

    def start(requests):
        return subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                                 str(ROOT / "bench" / "inprocess.py"), "--only", args.route, "--batches", "1",
                                 "--requests", str(requests)],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    runs = [start(100), start(100 + args.requests)]
    counts = []
    for run in runs:
        _, err = run.communicate()
        found = re.search(r"Collected : (\d+)", err)
        if run.returncode or not found:
            raise SystemExit(f"the valgrind run failed:\n{err[-2000:]}")
        counts.append(int(found.group(1)))
    print(f"{args.route:<16}{(counts[1] - counts[0]) / args.requests:>12,.0f} instructions/request")


if __name__ == "__main__":
    main()
