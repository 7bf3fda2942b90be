"""webstack's CrossGuard policy pack (``pulumi preview --policy-pack policy``); the policies are in ``policies.py``."""
