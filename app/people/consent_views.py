"""People: consent views (same blueprint as app.people.views)."""
