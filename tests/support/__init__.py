"""Helpers of the test suite that hold no tests (independent readers and expectations).

Imported by the test modules as ``support.<name>``; pytest collects nothing here.
"""
