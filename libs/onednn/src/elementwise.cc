// Activation forward and backward passes over the wasm heap, one pass each: tfjs runs ReLU's
// gradient as Step + Cast + Multiply and swish (x * sigmoid(x)) as three ops forward and about
// eight backward. Built with -O3 -ffast-math; target_clones picks the AVX-512, AVX2 or SSE2 body at
// load time so one binary runs on any x86-64 (the vector exp comes from glibc's libmvec).
#include <cmath>
#include <cstdint>

#include "elementwise.h"

namespace noisy {

#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

CLONES void relu_forward(const float* x, float* y, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0.f ? x[i] : 0.f;
}

CLONES void relu_backward(const float* x, const float* dy, float* dx, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) dx[i] = x[i] > 0.f ? dy[i] : 0.f;
}

// sigmoid with the argument clamped so exp stays finite: -ffast-math assumes no infinities, and
// its reciprocal turns 1 / inf into NaN. At |x| = 80 sigmoid is 0 or 1 to float precision anyway.
static inline float sigmoid(float x) {
  const float t = x < -80.f ? -80.f : (x > 80.f ? 80.f : x);
  return 1.f / (1.f + std::exp(-t));
}

CLONES void swish_forward(const float* x, float* y, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = x[i] * sigmoid(x[i]);
}

// d/dx x*s(x) = s + x*s*(1-s)
CLONES void swish_backward(const float* x, const float* dy, float* dx, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const float s = sigmoid(x[i]);
    dx[i] = dy[i] * (s + x[i] * s * (1.f - s));
  }
}

}  // namespace noisy

namespace noisy {

// Sum (times `scale`) over the middle axis of [b, hw, c]: global average pooling of a channels-last
// tensor (scale 1/hw), the squeeze of squeeze-and-excitation, and its gradient's sums (scale 1).
// tfjs's wasm Mean and Sum transpose the tensor first.
CLONES void spatial_sum(const float* x, float* y, int64_t b, int64_t hw, int64_t c, float scale) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < b; i++) {
    float* out = y + i * c;
    for (int64_t k = 0; k < c; k++) out[k] = 0.f;
    for (int64_t p = 0; p < hw; p++) {
      const float* row = x + (i * hw + p) * c;
#pragma omp simd
      for (int64_t k = 0; k < c; k++) out[k] += row[k];
    }
    for (int64_t k = 0; k < c; k++) out[k] *= scale;
  }
}

}  // namespace noisy

namespace noisy {

// Same-shape add and multiply, and x [rows, inner] scaled per row (stochastic depth's per-example
// mask): the large elementwise ops of a training step, on all threads.
CLONES void add(const float* a, const float* b, float* y, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = a[i] + b[i];
}

CLONES void multiply(const float* a, const float* b, float* y, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; i++) y[i] = a[i] * b[i];
}

// x [b, hw, c] times m [b, c]: squeeze-and-excitation's channel gates.
CLONES void scale_channels(const float* x, const float* m, float* y, int64_t b, int64_t hw, int64_t c) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < b * hw; r++) {
    const float* gate = m + (r / hw) * c;
    const float* in = x + r * c;
    float* out = y + r * c;
#pragma omp simd
    for (int64_t k = 0; k < c; k++) out[k] = in[k] * gate[k];
  }
}

CLONES void scale_rows(const float* x, const float* m, float* y, int64_t rows, int64_t inner) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float s = m[r];
    const float* in = x + r * inner;
    float* out = y + r * inner;
#pragma omp simd
    for (int64_t j = 0; j < inner; j++) out[j] = in[j] * s;
  }
}

}  // namespace noisy

namespace noisy {

// One TF-style RMSProp step (the original's optimizer) for one variable, out of place:
//   g' = g + wd w;  ms' = rho ms + (1 - rho) g'^2;  mom' = mu mom + lr g' / sqrt(ms' + eps);  w' = w - mom'
// tfjs runs this as ~14 separate ops per variable, each with its own dispatch cost.
CLONES void rmsprop(const float* w, const float* g, const float* ms, const float* mom, float* w_out, float* ms_out,
                    float* mom_out, int64_t n, float lr, float rho, float mu, float eps, float wd) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; i++) {
    const float grad = g[i] + wd * w[i];
    const float s = rho * ms[i] + (1.f - rho) * grad * grad;
    const float m = mu * mom[i] + lr * grad / std::sqrt(s + eps);
    ms_out[i] = s;
    mom_out[i] = m;
    w_out[i] = w[i] - m;
  }
}

// EMA of a weight: s' = s - (1 - d) (s - w).
CLONES void ema(const float* s, const float* w, float* out, int64_t n, float decay) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; i++) out[i] = s[i] - (1.f - decay) * (s[i] - w[i]);
}

}  // namespace noisy
