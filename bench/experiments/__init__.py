"""Settings variants for measuring proposed changes with `feed_bench.py --django-settings`.

Each module imports the real settings and changes one thing, so a proposal can be measured
against the same data set before anyone changes the application.
"""
