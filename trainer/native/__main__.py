"""python -m trainer.native: compile the native update kernel."""
import sys

from . import build

try:
    print(f"built {build(verbose='-v' in sys.argv)}")
except RuntimeError as e:
    print(e, file=sys.stderr)
    sys.exit(1)
