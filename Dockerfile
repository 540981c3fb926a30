# syntax=docker/dockerfile:1

# ---- build ----------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src

# Dependency layer: compile every dependency against stub sources, so source
# edits do not rebuild them.
COPY Cargo.toml Cargo.lock ./
COPY migration/Cargo.toml migration/Cargo.toml
RUN mkdir -p src migration/src bench \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs migration/src/lib.rs \
    && echo 'fn main() {}' > bench/ceiling.rs \
    && cargo build --release --locked \
    && rm -rf src migration/src bench

COPY . .
RUN touch src/main.rs src/lib.rs migration/src/lib.rs \
    && cargo build --release --locked --bin mainstay

# ---- runtime --------------------------------------------------------------
FROM debian:bookworm-slim

# ca-certificates only: TLS to managed databases and SMTP. Versions float
# with the bookworm security updates on purpose.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin mainstay \
    && mkdir -p /data /app \
    && chown mainstay:mainstay /data

WORKDIR /app
COPY --from=build /src/target/release/mainstay /usr/local/bin/mainstay
COPY config /app/config

ENV MAINSTAY_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATABASE_URL=sqlite:///data/mainstay.db

USER 10001
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/mainstay", "healthcheck"]

ENTRYPOINT ["/usr/local/bin/mainstay"]
CMD ["serve"]
