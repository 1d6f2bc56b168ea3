"""The built-in sandbox: a simulated FSM and accounting system, and a demo company to fill it."""
