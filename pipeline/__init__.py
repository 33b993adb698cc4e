"""The middle floor: runs the stages in order (forecast, plan, projection), scenarios,
comparisons, the nightly run and the what-if runner. It imports ``store``, ``forecast`` and
``optimize``; ``reports``, ``dashboards`` and the ``arsenal`` command line import it."""
