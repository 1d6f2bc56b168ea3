"""The KPI endpoint: loads the facts from the projections and events; actions.kpis computes."""
