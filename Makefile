# Conveniences; the README's commands work without make.
VERSION  ?= $(shell cat VERSION)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH   ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
PKG      := github.com/prometheus/common/version
LDFLAGS  := -s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Revision=$(REVISION) -X $(PKG).Branch=$(BRANCH) \
            -X $(PKG).BuildUser=$(shell id -un)@$(shell hostname) -X $(PKG).BuildDate=$(shell date -u +%Y%m%d-%H:%M:%S)

.PHONY: build test bench demo lint ci

build:
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o toggl_exporter .

test:
	go test -race -count=1 ./... && go test -run='^$$' -bench=. -benchtime=1x ./...

bench:
	go test -run='^$$' -bench=. -benchmem ./...

demo:
	go run . --demo

lint:
	gofmt -l . && go vet ./...

ci:
	CI=true bash .ci/run
