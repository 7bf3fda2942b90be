"""webstack: load this stack's settings once, build the stack, export its outputs."""

import os

import pulumi

from webstack.heap import leave_heap_to_exit, long_lived_imports

with long_lived_imports():
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

leave_heap_to_exit()
