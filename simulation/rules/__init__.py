"""The model's rules: one module per process, pure vectorised functions, no Mesa.

Each function takes arrays, parameters and (where it draws) a random stream, and
returns new arrays; :mod:`simulation.day` wires them to the state in a fixed order.
"""
