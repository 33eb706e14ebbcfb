"""The model's rules: one module per process, each with one entry point the day calls.

An entry point takes the :class:`~simulation.town.Town`, changes the state fields its
phase declares (:data:`simulation.day.PHASES`) and returns what it counts. The rule for
one person or one post is written once, as a small compiled function that the passes
over the town call; parameters reach compiled code by name, as a named tuple of terms
per rule. Nothing here imports Mesa.
"""
