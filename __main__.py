"""webstack: load this stack's settings once, build the stack, export its outputs."""

import gc
import os

import pulumi

from webstack.settings import load_settings, read_raw_config
from webstack.stack import build_stack

try:
    raw, secret_keys = read_raw_config()
    outputs = build_stack(load_settings(raw, pulumi.get_stack(), secret_keys, os.environ))
except ValueError as err:
    # RunError ends the program with just the message: the problem is the input, not the code.
    raise pulumi.RunError(str(err)) from None

for name, value in outputs.items():
    pulumi.export(name, value)

# Everything is registered. The interpreter's exit would otherwise collect the whole heap, most of
# it pulumi_kubernetes' generated classes: 0.15-0.3 s after the last output, on every preview and up
# (bench/results.md). Frozen objects are left to the process's end instead.
gc.freeze()
