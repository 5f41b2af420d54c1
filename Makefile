# Tango's two commands: `make demo` and `make test`. Everything else is a building block.
BUILD       ?= build
BUILD_ASAN  ?= build-asan
BUILD_DEMO  ?= build-demo
JOBS        ?= $(shell nproc)
CMAKE_FLAGS ?=
CTEST_FLAGS ?=
export OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

.PHONY: all deps configure build test test-asan demo bench format format-check clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900 $(CTEST_FLAGS)

# ASan + UBSan on the CPU code (the CUDA backend is left out of this build).
test-asan: deps
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTANGO_SANITIZE=ON \
	  -DTANGO_ENABLE_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 1800 $(CTEST_FLAGS)

# The demo builds only the programs scripts/demo.sh runs, in its own folder without tests or benchmarks.
# CUDA is compiled there only where a GPU is visible: elsewhere its objects could not run and were a
# fifth of the demo's compile time. `make build` / `make test` compile CUDA wherever nvcc is found.
# Each library is one unity translation unit there (its C++ files included into one): the third-party
# headers (CLI11, nlohmann/json, spdlog) and their instantiations are compiled once per library instead
# of once per file, about half the compile CPU time. `make build` keeps one object per file, so an edit
# recompiles one file.
DEMO_TARGETS = tango-partition tango-train
DEMO_CUDA   ?= $(shell nvidia-smi -L 2>/dev/null | grep -q '^GPU' && echo ON || echo OFF)

demo: deps
	cmake -S . -B $(BUILD_DEMO) -G Ninja -DTANGO_ENABLE_CUDA=$(DEMO_CUDA) -DTANGO_ENABLE_TESTS=OFF \
	  -DTANGO_ENABLE_BENCH=OFF -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=0 $(CMAKE_FLAGS)
	cmake --build $(BUILD_DEMO) -j $(JOBS) --target $(DEMO_TARGETS)
	@scripts/demo.sh $(BUILD_DEMO)

bench: build
	@scripts/bench.sh $(BUILD)

format:
	@git ls-files '*.h' '*.cc' '*.cu' '*.cuh' | xargs clang-format -i

format-check:
	@git ls-files '*.h' '*.cc' '*.cu' '*.cuh' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_DEMO)
