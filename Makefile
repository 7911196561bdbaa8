# Two commands matter: `make run` (the embedded default) and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_HASH := $(shell cat requirements.txt | sha256sum | cut -c1-16)
DEV_HASH := $(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
RUNTIME_STAMP := $(VENV)/.runtime-$(RUNTIME_HASH)
DEV_STAMP := $(VENV)/.dev-$(DEV_HASH)
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# The settings build links in e-mails and SMS from these (PORTAL_BASE_URL unset).
export HOST PORT

.PHONY: run test serve lint format messages venv venv-dev migrate seed clean check-runtime fonts axe bench loadtest audit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Requirements are installed again only when requirements*.txt change (the stamp holds their hash).
$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.runtime-* && touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.dev-* $(VENV)/.runtime-* && touch $@ $(RUNTIME_STAMP)

venv: $(RUNTIME_STAMP)
venv-dev: $(DEV_STAMP)

# .mo files are committed; compiling again needs gettext's msgfmt, which a fresh machine may lack.
messages: venv
	@if command -v msgfmt >/dev/null; then $(MANAGE) compilemessages --ignore=.venv --ignore=var -v 0; \
	else echo "msgfmt not found: using the compiled .mo files from the repository"; fi

migrate: venv
	$(MANAGE) migrate --noinput -v 0

seed: migrate
	$(MANAGE) seed_demo

run: venv messages seed
	@echo ""
	@echo "Портал ОМС: http://$(HOST):$(PORT)/  (остановить: Ctrl+C)"
	@echo "SMS-коды и письма в демо-режиме: http://$(HOST):$(PORT)/dev/outbox/"
	$(MANAGE) runserver $(HOST):$(PORT)

test: venv-dev messages axe
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# axe-core for the accessibility browser tests, pinned in tools/axe/package-lock.json.
axe: tools/axe/node_modules/axe-core/axe.min.js
tools/axe/node_modules/axe-core/axe.min.js: tools/axe/package-lock.json
	npm ci --prefix tools/axe --no-audit --no-fund

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Production shape: gunicorn + Celery worker + beat on DATABASE_URL / REDIS_URL.
serve: venv
	@test -n "$$DATABASE_URL" || (echo "DATABASE_URL is not set (postgres://...)"; exit 1)
	@test -n "$$REDIS_URL" || (echo "REDIS_URL is not set (redis://...)"; exit 1)
	@test -n "$$POLICY_SIGNING_KEY" || (echo "POLICY_SIGNING_KEY / POLICY_SIGNING_CERT are not set (PEM files of the portal's signing key)"; exit 1)
	DJANGO_SETTINGS_MODULE=portal.settings.production $(MANAGE) migrate --noinput
	DJANGO_SETTINGS_MODULE=portal.settings.production $(MANAGE) collectstatic --noinput -v 0
	DJANGO_SETTINGS_MODULE=portal.settings.production PORT=$(PORT) $(BIN)/honcho start -f Procfile

# The runtime requirements alone (what `make run` and `make serve` install) must load every process:
# test tools in the dev venv can hide a missing runtime pin (kombu's Redis transport needs packaging).
RUNTIME_VENV := var/runtime-venv
check-runtime:
	$(PYTHON) -m venv $(RUNTIME_VENV)
	$(RUNTIME_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(RUNTIME_VENV)/bin/python -c "from pathlib import Path; from oms_policy.signing import signing_demo_pair_ensure; \
	signing_demo_pair_ensure(key_path=Path('var/check-signing/key.pem'), cert_path=Path('var/check-signing/cert.pem'))"
	POLICY_SIGNING_KEY=var/check-signing/key.pem POLICY_SIGNING_CERT=var/check-signing/cert.pem \
	DJANGO_SETTINGS_MODULE=portal.settings.production SECRET_KEY=$$($(PYTHON) -c "import secrets; print(secrets.token_urlsafe(64))") \
	ALLOWED_HOSTS=localhost SMS_BACKEND=notifications.backends.sms.HttpSmsBackend SMS_HTTP_URL=https://sms.invalid/ \
	SMS_HTTP_TOKEN=check EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend DATABASE_URL=$${DATABASE_URL:-postgres://localhost/oms} REDIS_URL=$${REDIS_URL:-redis://localhost:6379/0} \
	$(RUNTIME_VENV)/bin/python -c "import django; django.setup(); \
	import kombu.transport.redis, celery.bin.celery, gunicorn.app.wsgiapp, honcho.command, weasyprint, qrcode, storages, pyhanko.sign; \
	from portal.celery import app; app.loader.import_default_modules(); \
	from django.core.management import call_command; call_command('check', deploy=True, fail_level='WARNING'); \
	print('runtime requirements load every process')"

# Static checks: Django's deployment checks on production settings, bandit (medium and high findings
# fail; pyproject.toml [tool.bandit] explains each exception), pip-audit on the pinned requirements.
audit: venv-dev
	$(BIN)/python -c "from pathlib import Path; from oms_policy.signing import signing_demo_pair_ensure; \
	signing_demo_pair_ensure(key_path=Path('var/check-signing/key.pem'), cert_path=Path('var/check-signing/cert.pem'))"
	POLICY_SIGNING_KEY=var/check-signing/key.pem POLICY_SIGNING_CERT=var/check-signing/cert.pem \
	DJANGO_SETTINGS_MODULE=portal.settings.production SECRET_KEY=$$($(PYTHON) -c "import secrets; print(secrets.token_urlsafe(64))") \
	ALLOWED_HOSTS=localhost SMS_BACKEND=notifications.backends.sms.HttpSmsBackend SMS_HTTP_URL=https://sms.invalid/ \
	SMS_HTTP_TOKEN=check EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend DATABASE_URL=$${DATABASE_URL:-postgres://localhost/oms} REDIS_URL=$${REDIS_URL:-redis://localhost:6379/0} \
	$(MANAGE) check --deploy --fail-level WARNING
	$(BIN)/bandit -c pyproject.toml -r . --severity-level medium --quiet
	$(BIN)/python tools/requirements_audit.py

# Benchmarks (not part of `make test`): the citizen pages against the floor, appended to
# docs/benchmarks.md. Starts and stops its own gunicorn, floor server and Celery worker.
BENCH_DATABASE_URL ?= $${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/oms_bench}
bench: venv-dev
	@command -v wrk >/dev/null || apt-get install -y -qq wrk
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.run $(BENCH_ARGS)

# Load test (not part of `make test`): Locust against the `make serve` process set for LOADTEST_SECONDS
# (default 600); p95 and errors appended to docs/benchmarks.md (LOADTEST_ARGS=--no-write: printed only).
loadtest: venv-dev
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.loadtest $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) var

# The policy PDF's font: DejaVu Sans from Debian's fonts-dejavu-core, cut down to Latin + Cyrillic.
# WeasyPrint re-reads a font's layout tables for every document; the subset makes each PDF ~2× faster.
# The result is committed (static/fonts/), so this runs only when the character set changes.
FONT_SRC ?= /usr/share/fonts/truetype/dejavu
FONT_UNICODES := U+0020-007E,U+00A0-017F,U+0300-036F,U+0400-04FF,U+2010-2027,U+2030-203A,U+2116,U+20BD,U+2212,U+25A0-25CF,U+FFFD
fonts: venv
	for face in DejaVuSans DejaVuSans-Bold; do \
	  $(BIN)/pyftsubset $(FONT_SRC)/$$face.ttf --unicodes=$(FONT_UNICODES) --layout-features='kern,liga,mark,mkmk,ccmp,locl' \
	    --no-hinting --desubroutinize --output-file=static/fonts/$$face-LatCyr.ttf; \
	done
	cp /usr/share/doc/fonts-dejavu-core/copyright static/fonts/LICENSE-DejaVu.txt
