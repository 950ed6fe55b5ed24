"""tengen's GTP engine for Go GUIs: ``python gtp_server.py [OPTIONS]``, the
same as ``tengen gtp``.  Works from any directory; the engine itself is
``tengen.gtp.server``."""

import sys

from tengen.gtp.server import run_command_line

if __name__ == "__main__":
    sys.exit(run_command_line("gtp_server.py"))
