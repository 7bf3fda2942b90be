"""webstack: the stack-level code (settings and composition) around the reusable components."""
