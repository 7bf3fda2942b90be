"""Config keys and their parsers, one module per area; ``webstack.settings`` composes them."""
