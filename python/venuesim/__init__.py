"""venuesim package."""
