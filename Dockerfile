# Build the same binary as `go build ./cmd/caddy`, then ship it alone.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# authgate's version for `caddy authgate version`: .dockerignore leaves out
# .git, so Go records no VCS revision; pass one with
#   docker build --build-arg AUTHGATE_VERSION=$(git describe --always --dirty) .
ARG AUTHGATE_VERSION=""
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags="-s -w -X github.com/authgate/authgate/cmd/authgatecli.ldflagsVersion=${AUTHGATE_VERSION}" \
      -o /out/caddy ./cmd/caddy \
 && mkdir -p /out/data /out/config

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/caddy /usr/bin/caddy
COPY Caddyfile.example /etc/caddy/Caddyfile
COPY --from=build --chown=65532:65532 /out/data /data
COPY --from=build --chown=65532:65532 /out/config /config
# Caddy keeps its data (dev key, bolt sessions, certificates) here.
ENV XDG_DATA_HOME=/data XDG_CONFIG_HOME=/config
VOLUME ["/data"]
USER nonroot:nonroot
EXPOSE 8080
# Liveness through the admin endpoint on loopback (the example's
# `admin localhost:2019`), which the check reaches from inside the
# container; the image has no shell or curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/bin/caddy", "authgate", "health"]
ENTRYPOINT ["/usr/bin/caddy"]
CMD ["run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
