"""The test suite (imported before conftest.py and every test module)."""

import sys

# pytest keeps each test module's assertion rewrite as a .pyc. Where PYTHONDONTWRITEBYTECODE
# is set (as on this machine and many CI images), every xdist worker would rewrite and
# compile every module on every run: about 2 s of CPU per worker. The files are gitignored.
sys.dont_write_bytecode = False
