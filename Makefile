# SPDX-License-Identifier: BSD-3-Clause
# Thin wrapper over CMake; the README's two commands are `make run` and `make check`.
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build run check check-sanitizers check-tsan clean

all: build

deps:
	@./.ci/install-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

configure: $(BUILD)/CMakeCache.txt

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# With a display: open the viewer on the samples.  Without one: analyse the
# samples headless and write the JSON result, reports and DICOM outputs into
# out/ (replacing an earlier run's).
run: build
	@if [ -n "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ] && [ -x $(BUILD)/bin/tumorscope-viewer ]; then \
		$(BUILD)/bin/tumorscope-viewer sample_dicom; \
	elif $(BUILD)/bin/tumorscope --help | grep -q '^  analyze'; then \
		method=cnn; \
		if ! ls resources/models/*.json >/dev/null 2>&1; then \
			echo "tumorscope: no trained model in resources/models; running the classical threshold baseline instead"; \
			method=threshold; \
		fi; \
		$(BUILD)/bin/tumorscope info sample_dicom && \
		$(BUILD)/bin/tumorscope analyze sample_dicom --method $$method --out out --png --pdf --dicom \
			--json out/result.json --force && \
		echo "tumorscope: reports written to out/ (result: out/result.json)"; \
	else \
		$(BUILD)/bin/tumorscope info sample_dicom; \
	fi

GUI_RUN = xvfb-run -a -s "-screen 0 1600x1000x24" dbus-run-session --

# The whole suite twice: the normal build, then an AddressSanitizer +
# UndefinedBehaviorSanitizer build (any report fails its test).
check: build
	cd $(BUILD) && $(GUI_RUN) ctest --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory check-sanitizers

check-sanitizers: deps
	cmake -S . -B $(ASAN_BUILD) -DTSC_ASAN=ON -DTSC_UBSAN=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && $(GUI_RUN) ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer over everything but the GTK viewer (uninstrumented GLib makes
# TSan unusable there; see tests/sanitizers/tsan.supp).  Not part of `check`:
# it takes about 10 minutes on 2 cores.
check-tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DTSC_TSAN=ON -DTSC_BUILD_VIEWER=OFF $(CMAKE_FLAGS)
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && ctest --output-on-failure -j $(JOBS) -LE viewer

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)
