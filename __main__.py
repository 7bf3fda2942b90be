"""webstack: load this stack's settings, build the stack, export its outputs."""

import pulumi

from webstack.program import build, load

for name, value in build(load()).items():
    pulumi.export(name, value)
