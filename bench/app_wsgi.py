"""The app as gunicorn serves it in bench/http_load.py. Pages other helpers still build (the
volunteer's "My activities", linked from every activity mail) get a stand-in route while they
are not in the app, so a sign-up's mail can be written; the script says when it used one."""
from wsgi import app

STAND_INS = [("activities.mine", "/my/activities")]
missing = [(endpoint, rule) for endpoint, rule in STAND_INS if endpoint not in app.view_functions]
for endpoint, rule in missing:
    app.add_url_rule(rule, endpoint, lambda **kw: "stand-in")
