"""trader package."""
