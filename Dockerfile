# syntax=docker/dockerfile:1
#
# toggl_exporter's container image: a static binary and CA certificates on scratch, run as
# nobody (65534), listening on 9981. Flags go after the image name; the default command
# reads /etc/toggl_exporter/toggl.yml:
#
#   docker run -p 9981:9981 IMAGE --demo
#   docker run -p 9981:9981 -v $PWD/toggl.yml:/etc/toggl_exporter/toggl.yml:ro \
#     -e TOGGL_API_TOKEN IMAGE
#
# Two ways to build the same image (BuildKit, buildah or podman: each builds only the stages
# its target needs):
#
#   docker build --build-arg REVISION=$(git rev-parse HEAD) .
#       compiles in golang:1.26 (the default, last stage); the version is the VERSION file's
#       unless --build-arg VERSION=... says otherwise;
#   buildah bud --target release CONTEXT
#       packages a binary built beforehand, CONTEXT/dist/toggl_exporter (CGO_ENABLED=0), with
#       CONTEXT/dist/ca-certificates.crt: no base image is pulled (CI builds it this way).
#
# A third target, goreleaser, is the release target for GoReleaser's multi-platform build
# context (.goreleaser.yaml): one binary per platform at CONTEXT/linux/amd64/toggl_exporter...

ARG GO_VERSION=1.26

# ---- runtime: what the final stages share; no files yet.
FROM scratch AS runtime
LABEL org.opencontainers.image.title="toggl_exporter" \
      org.opencontainers.image.description="Prometheus exporter for Toggl Track saved reports" \
      org.opencontainers.image.source="https://github.com/toggl-exporter/toggl_exporter"
USER 65534:65534
EXPOSE 9981
ENTRYPOINT ["/bin/toggl_exporter"]
CMD ["--config.file=/etc/toggl_exporter/toggl.yml"]

# ---- release: from a prebuilt static binary in the build context.
FROM runtime AS release
ARG BINARY=dist/toggl_exporter
ARG CA_CERTIFICATES=dist/ca-certificates.crt
COPY ${CA_CERTIFICATES} /etc/ssl/certs/ca-certificates.crt
COPY ${BINARY} /bin/toggl_exporter

# ---- goreleaser: the same image from GoReleaser's dockers_v2 context (docker buildx sets
# TARGETPLATFORM, e.g. linux/arm64, for each platform of the image).
FROM runtime AS goreleaser
ARG TARGETPLATFORM
COPY build/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY ${TARGETPLATFORM}/toggl_exporter /bin/toggl_exporter

# ---- builder: compiles a static, reproducible binary.
FROM golang:${GO_VERSION} AS builder
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION
ARG REVISION=unknown
ARG BRANCH=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w \
        -X github.com/prometheus/common/version.Version=${VERSION:-$(cat VERSION)} \
        -X github.com/prometheus/common/version.Revision=${REVISION} \
        -X github.com/prometheus/common/version.Branch=${BRANCH}" \
      -o /out/toggl_exporter . \
 && /out/toggl_exporter --version

# ---- default: the builder's binary on the runtime stage.
FROM runtime
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=builder /out/toggl_exporter /bin/toggl_exporter
