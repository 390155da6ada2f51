"""People: organisation views (same blueprint as app.people.views)."""
