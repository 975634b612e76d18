"""``calibrate notebooks DIR``: copy the package's notebooks (and their README) into DIR for editing."""

from __future__ import annotations

import argparse

NAME = "notebooks"
HELP = "copy the notebooks shipped with calibrate into a folder, to open in JupyterLab and change"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", help="where to copy them (created if missing)")
    p.add_argument("--force", action="store_true", help="overwrite notebooks already in the folder")


def execute(args: argparse.Namespace) -> int:
    import shutil
    from pathlib import Path

    from calibrate.errors import CalibrateError
    from calibrate.report.execute import notebooks_folder

    source = notebooks_folder()
    target = Path(args.folder)
    files = sorted(p for p in source.iterdir() if p.suffix == ".ipynb" or p.name == "README.md")
    clashes = [p.name for p in files if (target / p.name).exists()]
    if clashes and not args.force:
        raise CalibrateError(f"{target} already holds {', '.join(clashes)}: choose another folder or add --force")
    try:
        target.mkdir(parents=True, exist_ok=True)
        for p in files:
            shutil.copyfile(p, target / p.name)
    except OSError as exc:
        raise CalibrateError(f"cannot write the notebooks into {target}: {exc.strerror}") from None
    for p in files:
        print(target / p.name)
    print(
        f"{len(files)} files copied; each notebook runs as it is (on the sample company) - "
        f"set run_dir or config in its first cell to use your own run"
    )
    return 0
