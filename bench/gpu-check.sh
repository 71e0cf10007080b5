#!/usr/bin/env bash
# The throughput benchmark on an NVIDIA GPU: needs a CUDA 11.2+ / cuDNN 8.1+ machine (e.g. the GPU
# image, or nvidia/cuda:11.8.0-cudnn8-runtime with Node 20) and @tensorflow/tfjs-node-gpu
# installed (`npm install @tensorflow/tfjs-node-gpu@4.22.0`; its install downloads libtensorflow).
# Prints the table and writes bench/results/throughput-gpu.json. Cannot run on the CPU-only build
# machines (no GPU, no libtensorflow).
#   bash bench/gpu-check.sh [--reps 3] [--models cnn-small,wrn-28-2,efficientnet-b0]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nvidia-smi >/dev/null || { echo "gpu-check: nvidia-smi not found: no NVIDIA driver on this machine" >&2; exit 2; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
node -e "require('@tensorflow/tfjs-node-gpu')" 2>/dev/null \
  || { echo "gpu-check: @tensorflow/tfjs-node-gpu is not installed or cannot load (npm install @tensorflow/tfjs-node-gpu@4.22.0)" >&2; exit 2; }
export TF_FORCE_GPU_ALLOW_GROWTH=true TF_CPP_MIN_LOG_LEVEL=1
exec node --import tsx bench/throughput/run.ts --backends tensorflow --out bench/results/throughput-gpu.json "$@"
