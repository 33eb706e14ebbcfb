"""Sweeps: experiment files, designs, a store that never loses a finished run, executors."""
