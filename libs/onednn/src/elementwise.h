#pragma once
#include <cstdint>

namespace noisy {
void relu_forward(const float* x, float* y, int64_t n);
void relu_backward(const float* x, const float* dy, float* dx, int64_t n);
void swish_forward(const float* x, float* y, int64_t n);
void swish_backward(const float* x, const float* dy, float* dx, int64_t n);
void spatial_sum(const float* x, float* y, int64_t b, int64_t hw, int64_t c, float scale);
void scale_channels(const float* x, const float* m, float* y, int64_t b, int64_t hw, int64_t c);
void add(const float* a, const float* b, float* y, int64_t n);
void multiply(const float* a, const float* b, float* y, int64_t n);
void scale_rows(const float* x, const float* m, float* y, int64_t rows, int64_t inner);
void rmsprop(const float* w, const float* g, const float* ms, const float* mom, float* w_out, float* ms_out, float* mom_out, int64_t n,
             float lr, float rho, float mu, float eps, float wd);
void ema(const float* s, const float* w, float* out, int64_t n, float decay);
}  // namespace noisy
