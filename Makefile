# MadBase Edge — the two README commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

BIN := artifacts/publish/madbase-edge
FLOOR_BIN := artifacts/start-floor/start-floor
IMAGE ?= madbase-edge:latest
PUBLISH_INPUTS := $(shell find src -name '*.cs' -o -name '*.csproj' -o -name '*.props' 2>/dev/null) \
                  Directory.Build.props Directory.Packages.props global.json

.PHONY: help build run stop cluster cluster-stop test test-unit publish aot-check footprint bench load charts fuzz docker image lint clean

help:
	@echo "make run        start PostgreSQL (./.madbase/pg, port 54322) and the AOT server on 127.0.0.1:54321"
	@echo "make stop       stop both"
	@echo "make cluster    PostgreSQL + nats-server (JetStream) + 3 edge nodes on 127.0.0.1:54331-54333; make cluster-stop"
	@echo "make test       install/start PostgreSQL, the S3 test server and npm clients; unit + end-to-end tests"
	@echo "make aot-check  publish src/Edge for linux-x64; fail on any IL2xxx/IL3xxx warning; print the size"
	@echo "make footprint  binary size, idle RSS after start, start -> ready against its floor"
	@echo "make bench      BenchmarkDotNet codec benchmarks (tests/Protocol.Benchmarks)"
	@echo "make fuzz       AFL++ + SharpFuzz campaigns over the codecs (tests/Fuzz); TARGET=websocket, FUZZ_SECONDS=600"
	@echo "make load       end-to-end load scenarios against peers (load/); pick some with SCENARIOS=\"tus replication\""
	@echo "make charts     SVG charts + load/results/REPORT.md from the last load results (METRICS_URL=http://…/metrics adds /metrics)"
	@echo "make test-unit  Protocol tests and the in-process Edge tests ([Trait(\"Kind\", \"InProcess\")]); no database, no server"
	@echo "make build      dotnet build of the solution (Release)"
	@echo "make publish    the AOT binary at $(BIN) (rebuilt when a source changes)"
	@echo "make lint       formatting and style check (dotnet format --verify-no-changes; also run by CI)"
	@echo "make docker     build Dockerfile.aot (needs a Docker engine and registry access)"
	@echo "make image      OCI image $(IMAGE) from scratch with buildah: the AOT binary and its libraries only (no registry)"
	@echo "make clean      remove build outputs"

build:
	dotnet build MadBase.sln -c Release

$(BIN): $(PUBLISH_INPUTS)
	@mkdir -p .madbase
	@echo "publishing the Native AOT binary (about a minute)…"
	@dotnet publish src/Edge -c Release -r linux-x64 -o artifacts/publish >.madbase/publish.log 2>&1 \
	  || { tail -30 .madbase/publish.log; exit 1; }
	@touch $(BIN)

publish: $(BIN)

run: $(BIN)
	@scripts/run.sh

stop:
	@scripts/stop.sh

cluster: $(BIN)
	@scripts/cluster.sh

cluster-stop:
	@scripts/cluster.sh stop

test:
	@scripts/test.sh

test-unit:
	dotnet build tests/Protocol.Tests -c Release -warnaserror -v q -nologo
	dotnet build tests/Edge.Tests -c Release -warnaserror -v q -nologo
	dotnet test --project tests/Protocol.Tests -c Release --no-build
	dotnet test --project tests/Edge.Tests -c Release --no-build --filter-trait "Kind=InProcess"

aot-check:
	@scripts/aot-check.sh

# The start -> ready floor `make footprint` compares with (load/peers/StartFloor).
$(FLOOR_BIN): load/peers/StartFloor/Program.cs load/peers/StartFloor/StartFloor.csproj Directory.Build.props Directory.Packages.props
	@mkdir -p .madbase
	@echo "publishing the start -> ready floor (about a minute)…"
	@dotnet publish load/peers/StartFloor -c Release -r linux-x64 -o artifacts/start-floor >.madbase/publish-floor.log 2>&1 \
	  || { tail -30 .madbase/publish-floor.log; exit 1; }
	@touch $(FLOOR_BIN)

footprint: $(BIN) $(FLOOR_BIN)
	@scripts/footprint.sh

bench:
	dotnet run -c Release --project tests/Protocol.Benchmarks -- --filter '*' --memory

load: $(BIN)
	@scripts/load.sh

charts:
	@scripts/charts.sh

fuzz:
	@scripts/fuzz.sh

docker:
	docker build -f Dockerfile.aot -t madbase-edge .

image: $(BIN)
	@scripts/image.sh $(IMAGE)

lint:
	dotnet format MadBase.sln --verify-no-changes

clean:
	rm -rf artifacts
	find . -name bin -o -name obj -type d -prune -exec rm -rf {} +
