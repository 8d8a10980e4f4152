"""Pure renderers: plans, drift, status, state and locks as text, markdown or JSON."""
