"""The workbench command line, a thin skin over the library.

Each capability has its own module; importing it registers its commands on
:data:`app`. Only this package prints, prompts, colours or exits.
"""

from workbench.cli import advise as _advise
from workbench.cli import check as _check
from workbench.cli import diagram as _diagram
from workbench.cli import lint as _lint
from workbench.cli import migrate as _migrate
from workbench.cli import seed as _seed
from workbench.cli import tour as _tour
from workbench.cli._app import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, app, main

__all__ = ["EXIT_ERROR", "EXIT_FINDINGS", "EXIT_OK", "app", "main"]

del _migrate, _tour
del _diagram
del _check
del _advise
del _lint
del _seed
