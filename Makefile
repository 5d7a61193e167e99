# Conveniences; the README's commands work without make.
VERSION  ?= $(shell cat VERSION)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH   ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
PKG      := github.com/prometheus/common/version
LDFLAGS  := -s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Revision=$(REVISION) -X $(PKG).Branch=$(BRANCH) \
            -X $(PKG).BuildUser=$(shell id -un)@$(shell hostname) -X $(PKG).BuildDate=$(shell date -u +%Y%m%d-%H:%M:%S)

# The image under the name the manifests use (the tag the release workflow publishes), so that
# a local cluster runs it unchanged: kind load docker-image $(IMAGE). Podman, else docker,
# else buildah; make image CONTAINER_ENGINE=docker IMAGE=registry.example.com/toggl_exporter:dev
IMAGE            ?= ghcr.io/toggl-exporter/toggl_exporter:v$(VERSION)
CONTAINER_ENGINE ?= $(shell command -v podman || command -v docker || command -v buildah)

.PHONY: build image test bench demo lint ci

build:
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o toggl_exporter .

image:
	$(CONTAINER_ENGINE) build --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) \
	  --build-arg BRANCH=$(BRANCH) -t $(IMAGE) .

test:
	go run ./internal/testkit/cmd/runtests

bench:
	go test -run='^$$' -bench=. -benchmem ./...

demo:
	go run . --demo

lint:
	gofmt -l . && go vet ./...

ci:
	CI=true bash .ci/run
