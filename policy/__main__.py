"""webstack's policy pack: ``pulumi preview --policy-pack policy`` (see README "Policies").

The engine runs this directory through the Python language host (``PulumiPolicy.yaml``); building
the ``PolicyPack`` serves the analyzer until the engine stops it.
"""

from policies import POLICIES, STACK_POLICIES  # this directory is sys.path[0] when the engine runs it
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name="webstack", enforcement_level=EnforcementLevel.MANDATORY, policies=[*POLICIES, *STACK_POLICIES])
