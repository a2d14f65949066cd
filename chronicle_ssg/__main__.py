import signal
import sys


def _stopped() -> int:
    """Stopping serve or build --watch is success whenever it comes (see cli.main)."""
    return 0 if "serve" in sys.argv[1:] or "--watch" in sys.argv[1:] else 130


try:
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # see cli.main
    from chronicle_ssg.cli import main
    status = main()
except KeyboardInterrupt:  # a signal between cli.main's own handlers: nothing to clean up
    status = _stopped()
raise SystemExit(status)
