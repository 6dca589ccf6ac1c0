# syntax=docker/dockerfile:1
# BooksAPI: build with the official Swift image, run on slim Debian with only the runtime libraries.
# Expected size: about 110 MB. debian:bookworm-slim is about 75 MB; libmongoc and what it pulls in
# (OpenSSL, SASL, ICU, snappy, zstd) about 35 MB; the binary about 25 MB, with the Swift runtime
# linked statically (so no Swift toolchain or runtime libraries in the image).
ARG SWIFT_VERSION=6.3

FROM swift:${SWIFT_VERSION}-bookworm AS build
# Versions are not pinned (DL3008): Debian replaces old versions with each security update, so
# pinned versions stop installing; bookworm's stable updates are what we want.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmongoc-dev libbson-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product BooksAPI \
    && install -m 0755 .build/release/BooksAPI /usr/local/bin/BooksAPI

FROM debian:bookworm-slim
# Exactly what the binary links beyond the base image (scripts/check-image verifies it with readelf).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmongoc-1.0-0 libbson-1.0-0 libssl3 libstdc++6 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin booksapi \
    && mkdir -p /data \
    && chown booksapi /data
COPY --from=build /usr/local/bin/BooksAPI /usr/local/bin/BooksAPI
WORKDIR /app
COPY rawdata ./rawdata
COPY docs ./docs
COPY client-tier ./client-tier
# Configuration comes from the environment only: MONGODB_URL, PORT, WORKER_THREADS, ... (BooksAPI --help).
ENV HOST=0.0.0.0 \
    PORT=5000 \
    DATA_DIR=/data \
    STATIC_DIR=/app/client-tier
# The embedded store's journal, when MONGODB_URL is unset.
VOLUME ["/data"]
USER 10001
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["BooksAPI", "healthcheck"]
# SIGTERM (docker stop) finishes in-flight requests within SHUTDOWN_GRACE, then exits 0.
STOPSIGNAL SIGTERM
CMD ["BooksAPI"]
