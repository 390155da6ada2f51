"""The yardstick: a bare Flask app that answers "hello", served by gunicorn with the same
settings as the real one (bench/http_load.py)."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
