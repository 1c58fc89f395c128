"""Build step: runs `make` in the repository root (the folder above this one)
and copies build/libsmile.so.0.1.0 and the `smile` command into the package
(smile/_bin/), so the installed package needs no separate C installation."""
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LIB = "libsmile.so.0.1.0"


class BuildWithMake(build_py):
    def run(self):
        bin_dir = os.path.join(HERE, "smile", "_bin")
        if os.path.exists(os.path.join(ROOT, "Makefile")):
            jobs = str(os.cpu_count() or 2)
            subprocess.check_call(["make", "-j" + jobs, "all"], cwd=ROOT)
            os.makedirs(bin_dir, exist_ok=True)
            for name in (LIB, "smile"):
                src = os.path.join(ROOT, "build", name)
                if os.path.exists(src):
                    shutil.copy2(src, os.path.join(bin_dir, name))
        elif not os.path.exists(os.path.join(bin_dir, LIB)):
            print("warning: no Makefile above python/ and no bundled library; "
                  "set SMILE_LIB at run time")
        super().run()


setup(cmdclass={"build_py": BuildWithMake})
