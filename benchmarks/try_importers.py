"""Import real public blogs with `chronicle import`, build the result, print the report counts.

The blogs are not part of the repository; pass their paths:

    python benchmarks/try_importers.py wordpress themeunittestdata.wordpress.xml
    python benchmarks/try_importers.py jekyll path/to/jekyll-site
    python benchmarks/try_importers.py hugo path/to/hugo-site

Each import goes to a temporary folder; the script prints the counts of the import report,
whether `chronicle build` passed, and the time both took. docs/importing.md records a run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chronicle_ssg.importers.common import import_command


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("format", choices=("wordpress", "jekyll", "hugo"))
    parser.add_argument("path", type=Path)
    parser.add_argument("--keep", type=Path, help="write the site here instead of a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        site = args.keep or Path(temporary) / "site"
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            code = import_command(args.format, args.path, site, False)
        imported = time.perf_counter() - started
        report = (site / "import-report.txt").read_text("utf-8")
        print(report.split("\n\n")[1])
        sections = [line for line in report.splitlines() if line and not line.startswith(" ")
                    and line.endswith("):")]
        print("\n".join(sections))
        started = time.perf_counter()
        build = subprocess.run([sys.executable, "-m", "chronicle_ssg", "build", "--source", str(site)],
                               capture_output=True, text=True)
        built = time.perf_counter() - started
        print(f"import exit {code} in {imported:.2f} s; build exit {build.returncode} in {built:.2f} s")
        print((build.stdout or build.stderr).strip().splitlines()[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
