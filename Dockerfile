# syntax=docker/dockerfile:1.7
# Service images, two targets from one file (the chart picks by role):
#   docker build --target cpu -t noisy-student:0.1.0-cpu .   controller, ingestion, filter; any role on CPU-only clusters
#   docker build --target gpu -t noisy-student:0.1.0-gpu .   inference, trainer, evaluator on NVIDIA GPUs
# The service to run is the argument: `docker run noisy-student:0.1.0-cpu services/controller/src/main.ts`.
# TypeScript runs through tsx (a runtime dependency): there is no separate build output to drift.

ARG NODE_VERSION=20.19.5
# @tensorflow/tfjs-node-gpu 4.x loads libtensorflow 2.9 (CUDA 11.2+ / cuDNN 8.1+); CUDA 11.8 + cuDNN 8 satisfies it.
ARG CUDA_IMAGE=nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04

FROM node:${NODE_VERSION}-bookworm-slim AS node

# ---- the workspace sources every build stage installs from.
FROM node AS source
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY libs ./libs
COPY services ./services
COPY tools ./tools
COPY proto ./proto

# ---- build stage, CPU: production dependencies only; optional native TF packages are skipped, but
# sharp's prebuilt libvips (an optional package too) is put back: images decode natively.
# The oneDNN kernel addon (libs/onednn) and the Gloo collectives addon (libs/collective) are compiled
# against Debian's libdnnl-dev and libgloo-dev; the build fails here if either does not come out,
# rather than shipping an image that quietly runs on wasm kernels or cannot train data-parallel.
FROM source AS deps-cpu
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ libdnnl-dev libgloo-dev \
 && rm -rf /var/lib/apt/lists/* \
 && npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npm install --no-save --ignore-scripts --no-audit --no-fund @img/sharp-linux-x64@0.35.5 @img/sharp-libvips-linux-x64@1.3.4 \
 && node libs/onednn/build.mjs \
 && test -f libs/onednn/build/onednn.node \
 && node libs/collective/build.mjs \
 && test -f libs/collective/build/gloo.node \
 && npm cache clean --force

# ---- build stage, GPU: also @tensorflow/tfjs-node-gpu, whose install fetches libtensorflow (GPU build)
# and may compile its binding (python3, make, g++).
FROM source AS deps-gpu
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates libgloo-dev \
 && rm -rf /var/lib/apt/lists/* \
 && npm ci --omit=dev --no-audit --no-fund \
 && ls node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v*/tfjs_binding.node \
 && node libs/collective/build.mjs \
 && test -f libs/collective/build/gloo.node \
 && npm cache clean --force

# ---- runtime, CPU: slim Node, non-root, read-only friendly (tsx caches under /tmp); the runtime
# libraries of the oneDNN and Gloo addons.
FROM node AS cpu
RUN apt-get update \
 && apt-get install -y --no-install-recommends libdnnl2 libgomp1 libgloo0 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    NOISY_BACKEND=auto \
    NOISY_GRPC_PORT=50051
WORKDIR /app
COPY --from=deps-cpu --chown=10001:10001 /app /app
USER 10001:10001
EXPOSE 50051
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["node", "/app/tools/healthcheck/grpc-health.mjs"]
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["services/controller/src/main.ts"]

# ---- runtime, GPU: CUDA 11.8 + cuDNN 8 runtime with Node copied in; TF grows GPU memory on demand.
FROM ${CUDA_IMAGE} AS gpu
ENV NODE_ENV=production \
    NOISY_BACKEND=tensorflow \
    NOISY_GRPC_PORT=50051 \
    TF_FORCE_GPU_ALLOW_GROWTH=true \
    TF_CPP_MIN_LOG_LEVEL=1
COPY --from=node /usr/local/bin/node /usr/local/bin/node
# The Gloo addon was built on the Debian build stage: its shared libraries come along from there
# (libgloo and what it links: hiredis, ibverbs, netlink), in a directory of their own.
COPY --from=deps-gpu /usr/lib/libgloo.so.0* /usr/lib/x86_64-linux-gnu/libhiredis.so.0.14* \
     /usr/lib/x86_64-linux-gnu/libibverbs.so.1* /usr/lib/x86_64-linux-gnu/libnl-3.so.200* \
     /usr/lib/x86_64-linux-gnu/libnl-route-3.so.200* /opt/noisy/lib/
ENV LD_LIBRARY_PATH=/opt/noisy/lib
RUN groupadd --gid 10001 noisy && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin noisy
WORKDIR /app
COPY --from=deps-gpu --chown=10001:10001 /app /app
USER 10001:10001
EXPOSE 50051
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 CMD ["node", "/app/tools/healthcheck/grpc-health.mjs"]
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["services/inference/src/main.ts"]
