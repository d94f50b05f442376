"""The browser model stays free of Django, like the rest of the engine."""

from __future__ import annotations

import subprocess
import sys


def test_import_loads_no_django() -> None:
    code = "import sys, tracer.engine.journey; print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
