# Every target runs inside the cached Python 3.10 venv (scripts/with-venv.sh builds it once).
RUN := scripts/with-venv.sh

.PHONY: demo demo-gesture demo-pose test bench bench-gesture-sweep bench-pose lint

demo:  ## synthetic DVS scene -> driver -> MCAP recording -> replay; prints where the bag is
	$(RUN) hybrid-perception demo

demo-gesture:  ## H1: gesture bag -> live ROS 2 graph (hybrid, ANN, SNN) -> report; prints its path
	rm -rf out/demo-gesture
	$(RUN) hybrid-perception dataset gesture --out out/demo-gesture/bag
	$(RUN) hybrid-perception evaluate --pipeline gesture --bag out/demo-gesture/bag --out out/demo-gesture

demo-pose:  ## H2: two-camera pose bag -> live ROS 2 graph (hybrid, ANN, SNN) -> report
	rm -rf out/demo-pose
	$(RUN) hybrid-perception dataset pose --out out/demo-pose/bag --samples 8
	$(RUN) hybrid-perception evaluate --pipeline pose --bag out/demo-pose/bag --out out/demo-pose --model pose --model pose-200

test:  ## lint + the whole test suite
	$(RUN) sh -c 'ruff check . && python -m pytest -q -n 2 --durations=15 test'

bench:  ## benchmark scripts; each ends with one JSON line of figures
	$(RUN) python benchmarks/event_path.py
	$(RUN) python benchmarks/snn_runtimes.py
	$(RUN) python benchmarks/recordings.py

bench-gesture-sweep:  ## H1's SxAy x I table (trains 18 models into out/gesture-sweep first: hours)
	$(RUN) python benchmarks/gesture_sweep.py --sweep out/gesture-sweep

bench-pose:  ## H2: hybrid vs ANN at the SNN rate vs SNN alone on unseen people, 100 and 200 Hz
	$(RUN) python benchmarks/pose_accuracy.py --model pose --model pose-200

lint:
	$(RUN) ruff check .
