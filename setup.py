"""Build hook: copy the notebooks, the sample company and the ECSI survey into the package.

They are edited where people expect them (``notebooks/``, ``data/sample/``,
``tests/reference/``); the list of what ships is ``calibrate.resources.SHIPPED``.
All other settings are in pyproject.toml.
"""
import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def _shipped():
    spec = importlib.util.spec_from_file_location("_calibrate_resources", ROOT / "src" / "calibrate" / "resources.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SHIPPED


class BuildPyWithResources(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return                     # an editable install reads the checkout's own files
        package = Path(self.build_lib) / "calibrate"
        for name, (source, patterns) in _shipped().items():
            origin = ROOT / source
            if patterns is None:
                files = [(origin, package / name)]
            else:
                files = [(f, package / name / f.relative_to(origin)) for p in patterns for f in sorted(origin.glob(p))]
            if not files or not all(f.exists() for f, _ in files):
                raise SystemExit(f"cannot ship {name}: {origin} is missing")
            for origin_file, target in files:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(origin_file, target)


setup(cmdclass={"build_py": BuildPyWithResources})
