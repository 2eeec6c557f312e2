"""Wheel build hook (hatchling): the few small files that make the installed package typed.

pyproject.toml ships gumloop.py as gumloop/__init__.py, unchanged. The repository keeps that
one copy of the module, so the other files of the package are written here, into a temporary
directory, for each wheel build:
- py.typed: the PEP 561 marker, so type checkers read gumloop's own annotations.
- types.py, spec.py, errors.py: for type checkers, `from gumloop import *`, which re-exports
  gumloop.__all__, the very classes of gumloop. At run time `import gumloop` has already
  registered the module itself as gumloop.types, .spec and .errors, so they are not run.
  (Stubs, .pyi, would do for mypy, but pyright warns that a stub has no source.)
- __main__.py: `python -m gumloop`, as `python gumloop.py` runs the copied file.
An editable install (`pip install -e .`) gets none of these and no copy: only a .pth file that
puts the project directory on sys.path, so `import gumloop` loads the working gumloop.py.
"""

import os
import shutil
import tempfile

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SUBMODULE = "# gumloop.py registers itself under this name at import; this file is for type checkers.\nfrom gumloop import *  # noqa: F401,F403\n"
FILES = {
    "py.typed": "",
    "types.py": SUBMODULE,
    "spec.py": SUBMODULE,
    "errors.py": SUBMODULE,
    "__main__.py": "import sys\n\nfrom gumloop import main\n\nif __name__ == \"__main__\":\n    sys.exit(main())\n",
}


class GumloopPackageHook(BuildHookInterface):
    def initialize(self, version, build_data):
        self._tmp = tempfile.mkdtemp()
        if version == "editable":
            build_data["force_include_editable"] = {self._write("gumloop_lite.pth", self.root + "\n"): "gumloop_lite.pth"}
            return
        for name, text in FILES.items():
            build_data["force_include"][self._write(name, text)] = "gumloop/" + name

    def _write(self, name, text):
        path = os.path.join(self._tmp, name)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        return path

    def finalize(self, version, build_data, artifact_path):
        shutil.rmtree(self._tmp, ignore_errors=True)
