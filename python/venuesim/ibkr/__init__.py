"""Interactive Brokers TWS / IB Gateway simulator on the TWS API socket (server version 176)."""
