#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

if sys.version_info < (3, 12):  # noqa: UP036  (fail loudly on the machines' default 3.11)
    sys.exit(f"tracer needs Python 3.12 or newer; this is {sys.version.split()[0]}. Run ./scripts/test or ./scripts/run.")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracer.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
