#pragma once
#include <cstdint>

namespace noisy {
void relu_forward(const float* x, float* y, int64_t n);
void relu_backward(const float* x, const float* dy, float* dx, int64_t n);
void swish_forward(const float* x, float* y, int64_t n);
void swish_backward(const float* x, const float* dy, float* dx, int64_t n);
}  // namespace noisy
