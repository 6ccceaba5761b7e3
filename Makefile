# Kernel connector for Linux 6.12: build, boot and test harness.
# See README.md.

.PHONY: all run test shell build series bench against-stock mutants clean distclean

all: run

# Build our kernel, boot it and show the connector at work.
run:
	@scripts/run.sh

# The whole test suite; ends with "N passed, N failed".
test:
	@scripts/test.sh

# A shell in the guest (interactive; Ctrl-a x leaves).
shell: build
	@scripts/boot.sh test shell /dev/null

# The patch series for Linux 6.12, in out/series/.
series:
	@scripts/make-series.sh

# Stock 6.12 and ours side by side under QEMU -icount: a table, CSV and
# chart in out/bench/. Not part of the tests; never fails on a number.
bench:
	@scripts/bench.sh

# Our suite on the stock 6.12 kernel: shows the tests that catch its bugs.
against-stock:
	@scripts/against-stock.sh

# Plant each bug a test names, one at a time, and show the test fails.
mutants:
	@scripts/deps.sh
	@scripts/mutants.py

build:
	@scripts/deps.sh
	@scripts/prepare-tree.sh
	@scripts/build-kernel.sh test build/src configs/base.config configs/debug.config
	@scripts/build-guest.sh test build/src

clean:
	rm -rf build/obj-* build/logs

distclean:
	rm -rf build
