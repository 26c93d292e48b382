"""Money: what things cost, how a charge is decided, and the ways credits and plans move.
New money modules (payments, checkout packs) live here; the older flat modules follow in time."""
