"""Function-based views, one module per resource (snapshots, traces, sharing, accounts, API)."""
