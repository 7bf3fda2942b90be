"""Entry point of the ``webstack`` component provider (``provider/PulumiPlugin.yaml``).

The engine runs ``python provider/ ENGINE_ADDRESS ...``; ``component_provider_host`` then serves the
facades of ``provider/facades.py``: their schema for ``pulumi package add``, and ``Construct`` for
programs that use them.
"""

import sys
from pathlib import Path

# The project root, so that `components` and `provider.facades` import (this file's directory is sys.path[0]).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi.provider.experimental import component_provider_host

from provider.facades import FACADES, PACKAGE, VERSION

if __name__ == "__main__":
    component_provider_host(FACADES, name=PACKAGE, version=VERSION)
