# syntax=docker/dockerfile:1
# zkbatch's images, from one file (docker build --target NAME):
#   runtime  (the default): the `zkbatch` binary alone, as a non-root user. `zkbatch serve` nodes of
#            every role, `zkbatch migrate`, `zkbatch setup`.
#   tools    anvil, forge, solc (solc-js) and snarkjs from tools/package-lock.json, as
#            scripts/bootstrap.sh installs them: the local chain of docker-compose and the dev overlay.
#   deployer runtime + solc: `zkbatch deploy` compiles the generated verifiers before deploying them.
#
#   docker build -t zkbatch .                      # runtime
#   docker build -t zkbatch-tools --target tools .
#   docker build -t zkbatch-deployer --target deployer .
#
# The build uses the same Rust as CI and Cargo.lock (--locked); nothing is downloaded at run time.

ARG RUST_VERSION=1.95
ARG NODE_VERSION=20

FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
# The workspace: the manifests, the lock file and the crates are all a release build reads (SQLite
# is bundled, TLS is rustls: no system libraries).
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p zkbatch-cli \
    && install -D -m 0755 target/release/zkbatch /out/zkbatch

FROM node:${NODE_VERSION}-bookworm-slim AS tools
WORKDIR /opt/zkbatch/tools
COPY tools/package.json tools/package-lock.json tools/solc.js ./
# As scripts/bootstrap.sh: no install scripts; the optional packages hold the native anvil and forge.
RUN npm ci --no-audit --no-fund --ignore-scripts --include=optional --loglevel=error \
    && ln -s /opt/zkbatch/tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil /usr/local/bin/anvil \
    && ln -s /opt/zkbatch/tools/node_modules/@foundry-rs/forge-linux-amd64/bin/forge /usr/local/bin/forge \
    && ln -s /opt/zkbatch/tools/node_modules/.bin/snarkjs /usr/local/bin/snarkjs \
    && printf '#!/bin/sh\nexec node /opt/zkbatch/tools/solc.js "$@"\n' >/usr/local/bin/solc \
    && chmod +x /usr/local/bin/solc \
    && anvil --version && solc --version \
    && install -d -o node -g node /home/node/anvil
USER node
# anvil's JSON-RPC; bind all interfaces so other containers reach it.
EXPOSE 8545
ENTRYPOINT ["anvil", "--host", "0.0.0.0", "--port", "8545"]

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/zkbatch --create-home zkbatch \
    && install -d -o zkbatch -g zkbatch /keys /var/cache/zkbatch /etc/zkbatch
COPY --from=build /out/zkbatch /usr/local/bin/zkbatch
USER 10001:10001
WORKDIR /var/lib/zkbatch
# Key images (memory-mapped proving keys) and converted zkeys: a volume in production, so a
# restarted node maps its keys at once instead of converting them again.
ENV ZKBATCH_CACHE_DIR=/var/cache/zkbatch
# The HTTP API: jobs, proofs, /metrics, /healthz, /readyz, /docs.
EXPOSE 8080
ENTRYPOINT ["zkbatch"]
CMD ["serve", "--help"]

FROM runtime AS deployer
USER root
COPY --from=tools /usr/local/bin/node /usr/local/bin/node
COPY --from=tools /opt/zkbatch/tools /opt/zkbatch/tools
RUN printf '#!/bin/sh\nexec node /opt/zkbatch/tools/solc.js "$@"\n' >/usr/local/bin/solc \
    && chmod +x /usr/local/bin/solc
USER 10001:10001
ENV ZKBATCH_SOLC=/usr/local/bin/solc
