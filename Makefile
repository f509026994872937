# Two entry points for a fresh machine (Python 3.11, pip and compilers only):
#   make run   -> set up .venv, reproduce the paper in silico, write report/
#   make test  -> set up .venv with test extras, run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
REPORT ?= report

.PHONY: run test venv benchmark docs clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/trdlab reproduce --out $(REPORT)

# pytest exits 5 when it collected no test: that is a failure here, not a pass.
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

benchmark: $(STAMP)
	$(PY) benchmarks/engine_overhead.py

# the generated reference pages, then the user guide site (mkdocs, strict: a broken link fails) in build/site
docs: $(STAMP)
	$(PY) -c "from trdlab.report.parameters import parameters_markdown as m; open('docs/parameters.md', 'w').write(m())"
	$(PY) -c "from trdlab.report.ledger_docs import ledger_markdown as m; open('docs/ledger.md', 'w').write(m())"
	$(VENV)/bin/mkdocs build --strict --quiet

clean:
	rm -rf $(VENV) $(REPORT) .pytest_cache
