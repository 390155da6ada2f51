"""People: profile views (same blueprint as app.people.views)."""
