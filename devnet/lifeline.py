"""Tie a devnet server's life to the process that started it.

A test runner may start children with SIGTERM blocked or ignored (both survive exec), and a
runner that crashes never sends it. `stop_with_parent()` restores SIGTERM's default action,
unblocks it, and, when standard input is a pipe, exits the process once it reaches end of file: the parent holds
the pipe's write end, so its exit (clean or not) stops the server too.
"""
import os
import signal
import stat
import sys
import threading


def stop_with_parent(on_exit=None):
    """Install the lifeline. `on_exit`, if given, runs before the process exits on EOF."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    try:
        watched = stat.S_ISFIFO(os.fstat(0).st_mode)  # a pipe from our parent, not a tty or /dev/null
    except OSError:
        watched = False
    if not watched:
        return

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        if on_exit:
            on_exit()
        os._exit(0)

    threading.Thread(target=watch_stdin, name="lifeline", daemon=True).start()
