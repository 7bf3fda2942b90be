"""webstack's components as a Pulumi component provider, for other languages (``provider/PulumiPlugin.yaml``)."""
