# Two commands do everything on a fresh machine with Python 3.11:
#   make run    virtualenv, install, compile translations, migrate, demo data, serve on :5000
#   make test   the whole suite (SQLite; PostgreSQL when TEST_DATABASE_URL is set)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN = $(VENV)/bin
FLASK = $(BIN)/flask --app wsgi

.PHONY: run test install install-dev translations extract-translations worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy --statistics -d app/translations

extract-translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

run: install translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo --only-if-empty
	bash scripts/run-dev.sh

worker: install
	$(FLASK) mail worker

# The suite runs in parallel, one pytest-xdist worker per core (each with its own PostgreSQL
# database); PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto

test: install-dev translations
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance/*.sqlite instance/mail
