"""People: directory views (same blueprint as app.people.views)."""
