# Every target runs inside the cached Python 3.10 venv (scripts/with-venv.sh builds it once).
RUN := scripts/with-venv.sh

.PHONY: demo test bench lint

demo:  ## synthetic DVS scene -> driver -> MCAP recording -> replay; prints where the bag is
	$(RUN) hybrid-perception demo

test:  ## lint + the whole test suite
	$(RUN) sh -c 'ruff check . && python -m pytest -q test'

bench:  ## benchmark scripts; each ends with one JSON line of figures
	$(RUN) python benchmarks/event_path.py
	$(RUN) python benchmarks/snn_runtimes.py

lint:
	$(RUN) ruff check .
