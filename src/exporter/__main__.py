"""``python -m exporter``: the same command line as the ``exporter`` console script."""

from exporter.cli import run

if __name__ == "__main__":
    run()
