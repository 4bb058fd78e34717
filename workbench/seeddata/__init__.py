"""Building blocks of the seed engine (:mod:`workbench.seed`) that need no database.

:mod:`~workbench.seeddata.pools` holds the fixed word lists values are drawn
from; :mod:`~workbench.seeddata.checks` reads CHECK constraints.
"""
