# The two commands of the README: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM := npm --no-audit --no-fund --loglevel=error

.PHONY: help install install-run install-test install-hono build run test test-cluster test-hono test-notifications test-unit lint swagger screenshots clean

help:
	@echo "make run    install what is missing, build, start the registry (HTTP on 127.0.0.1:28080, embedded Redis)"
	@echo "make test   install what is missing, build, run every test"
	@echo "make test-cluster   the same suites (and cluster faults) on a local Redis Cluster"
	@echo "make test-hono   Hono's own registry clients and HTTP adapter against the built registry (Java, Maven)"
	@echo "make test-notifications   change notifications through a real Kafka and ActiveMQ Artemis (Java, Maven)"
	@echo "make build | lint | swagger | screenshots | clean"
	@echo "make bench | bench-smoke | bench-peer | bench-ab | soak   benchmarks (bench/README.md, docs/performance.md)"

node_modules/.installed: package.json package-lock.json
	$(NPM) ci
	@touch $@

# The registry runs with jemalloc as its malloc (docs/reliability.md "Soak": glibc's malloc keeps
# the peak of a burst of native allocations resident for good; jemalloc gives it back).
JEMALLOC := LD_PRELOAD=libjemalloc.so.2

# Debian packages the registry needs at run time.
install-run: node_modules/.installed
	@scripts/ensure-packages.sh redis-server:redis-server libjemalloc2:lib=libjemalloc.so.2

# ... and what the tests drive it with (an independent AMQP client, curl for the seed examples,
# a headless Chromium for the console's end-to-end tests, driven by playwright-core).
install-test: install-run
	@scripts/ensure-packages.sh curl:curl openssl:openssl python3-qpid-proton:/usr/bin/python3=proton chromium:/usr/bin/chromium

install: install-test

# The registry (src/ → dist/) and the operator console (console/ → dist/console, bundled by esbuild).
build: node_modules/.installed
	npx tsc -p tsconfig.build.json
	node scripts/build-console.mjs

run: install-run build
	$(JEMALLOC) node dist/main.js

test: install-test build
	npx mocha

# The store contract, the HTTP and AMQP suites, the Proton conformance suite and the cluster's own
# fault tests against Redis Clusters on loopback ports (docs/cluster.md). CI runs it after `make test`.
test-cluster: install-test build
	TEST_REDIS=cluster npx mocha --config .mocharc.cluster.json

# Hono's own code against the built registry (docs/hono-interop.md): Hono's AMQP registry clients and
# its HTTP protocol adapter, from Maven Central, in interop/hono. Maven keeps what it downloads in
# ~/.m2/repository, so later runs (and CI on the same machine) resolve nothing again.
install-hono: install-test
	@scripts/ensure-packages.sh openjdk-17-jdk-headless:javac maven:mvn

test-hono: install-hono build
	mvn -B -ntp -Dstyle.color=never -f interop/hono/pom.xml -Dregistry.root=$(CURDIR) verify

# Change notifications through real brokers (docs/notifications.md): a single-node Kafka (KRaft) and an
# ActiveMQ Artemis from Maven Central, started by the tests on loopback ports (test/brokers/pom.xml;
# the class path is cached in .cache/brokers/, the jars in ~/.m2). CI runs it after `make test`.
test-notifications: install-hono build
	npx mocha --config .mocharc.brokers.json

lint: node_modules/.installed
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p console/tsconfig.json --noEmit
	npx eslint .

swagger: node_modules/.installed
	npx tsx scripts/swagger.ts

# The console's screenshots in docs/images (docs/console.md), taken by its end-to-end tests
# (`make test` takes them too, into a temporary directory).
screenshots: install-test build
	CONSOLE_SCREENSHOTS=docs/images npx mocha --no-config --import=tsx --require test/helpers/root-hooks.ts --timeout 20000 'test/e2e/**/*.test.ts'

clean:
	rm -rf dist

# Benchmarks (bench/README.md, docs/performance.md). `make bench` (5–8 minutes) measures the registry
# against its floors with fixed request counts in alternating rounds, prints the markdown report and
# writes bench/results.{json,md}; `make bench-smoke` is the run of a few seconds CI uses to keep the
# suite working (its figures mean nothing; no time is ever asserted).
.PHONY: install-bench bench bench-smoke bench-ab

# wrk drives the HTTP half of bench-ab.
install-bench: install-run
	@scripts/ensure-packages.sh wrk:wrk

bench: install-run build
	npx tsx bench/run.ts

bench-smoke: install-run build
	BENCH_SMOKE=1 npx tsx bench/run.ts

# This registry side by side with Eclipse Hono's own (bench/peer.ts, docs/performance.md): Hono's
# registry runs from its jars on Maven Central (bench/peer/pom.xml), hence a JDK and Maven.
# BENCH_SMOKE=1 make bench-peer runs it in seconds (after Maven's first download).
.PHONY: install-peer bench-peer
install-peer: install-run
	@scripts/ensure-packages.sh openjdk-17-jdk-headless:java maven:mvn

bench-peer: install-peer build
	npx tsx bench/peer.ts

# Paired A/B of two builds (bench/ab.ts): make build && cp -r dist dist-base; change; make bench-ab A=dist-base/main.js
B ?= dist/main.js
bench-ab: install-bench build
	@test -n "$(A)" || { echo 'usage: make bench-ab A=<other build>/main.js [B=dist/main.js]'; exit 2; }
	npx tsx bench/ab.ts $(A) $(B)

# Soak run (docs/reliability.md): SOAK_SECONDS (default 600) of mixed HTTP + AMQP load against the
# built registry; prints the registry's resident memory samples and its growth after warm-up.
.PHONY: soak
soak: install-run build
	npx tsx bench/soak.ts
