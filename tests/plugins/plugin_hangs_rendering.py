"""Fixture: formats that do not finish -- plainly, or swallowing the time-out signal -- and one
that says which process rendered it."""

import os
import time

from exporter import hookimpl
from exporter.registry import Format


def render_hangs(doc, out):
    out.write(b"started\n")
    while True:  # a busy loop, no sleeping: the time limit must still stop it
        sum(range(1000))


def render_swallows(doc, out):
    """Catches every interruption for a few seconds, then returns as if all went well."""
    out.write(b"started\n")
    end = time.monotonic() + 3
    while time.monotonic() < end:
        try:
            time.sleep(0.05)
        except BaseException:  # deliberately stubborn
            pass
    out.write(b"finished\n")


def render_pid(doc, out):
    out.write(f"{os.getpid()}\n".encode())


@hookimpl
def exporter_register_formats(register):
    register(Format(name="hang", media_type="text/plain", extension="txt", render=render_hangs, material=False))
    register(Format(name="hang-stubborn", media_type="text/plain", extension="txt", render=render_swallows,
                    material=False))
    register(Format(name="whoami", media_type="text/plain", extension="txt", render=render_pid, material=False))
