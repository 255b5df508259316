"""Fixture: formats that hurt the process rendering them (job-backend fault tests).

* ``kill-worker`` -- kills its own process with SIGKILL (a poison job: a crash in C code).
* ``slow`` -- takes ``options["seconds"]`` (default ``$EXPORTER_TEST_SLOW_SECONDS`` or 3) to write
  a short text, so a test can act while it renders.
* ``hang-forever`` -- never returns and swallows every interruption, as a render stuck in C code
  would: only ending the process stops it.
"""

import os
import signal
import time

from exporter import hookimpl
from exporter.registry import Format, Option


def render_kill(doc, out):
    out.write(b"started\n")
    os.kill(os.getpid(), signal.SIGKILL)


def render_slow(doc, out):
    end = time.monotonic() + float(doc.options.get("seconds", os.environ.get("EXPORTER_TEST_SLOW_SECONDS", 3)))
    while time.monotonic() < end:
        time.sleep(0.05)
    out.write(("slow: " + ", ".join(e.id for e in doc.entries) + "\n").encode())


def render_hang(doc, out):
    out.write(b"started\n")
    while True:
        try:
            time.sleep(0.05)
        except BaseException:  # deliberately stubborn
            pass


@hookimpl
def exporter_register_formats(register):
    register(Format(name="kill-worker", media_type="text/plain", extension="txt", render=render_kill,
                    material=False))
    register(Format(name="slow", media_type="text/plain", extension="txt", render=render_slow, material=False,
                    options=(Option("seconds", "how long the render takes", type=float),)))
    register(Format(name="hang-forever", media_type="text/plain", extension="txt", render=render_hang,
                    material=False))
