// elementwise.cpp - add, mul, scale, axpy, fill, copy over n contiguous floats.
//
// Each kernel is a JNN_CLONES loop over one chunk [0, len) plus a C entry point that splits n
// across threads only for large n (memory-bound: kGrainCheap). Outputs may alias inputs exactly
// (in-place ops), so no __restrict; GCC versions the loops with a runtime overlap check.
#include "common.h"

using namespace jnn;

namespace {

JNN_CLONES void add_kernel(const float* a, const float* b, float* out, int64_t len) {
  for (int64_t i = 0; i < len; i++) out[i] = a[i] + b[i];
}

JNN_CLONES void mul_kernel(const float* a, const float* b, float* out, int64_t len) {
  for (int64_t i = 0; i < len; i++) out[i] = a[i] * b[i];
}

JNN_CLONES void scale_kernel(const float* x, float alpha, float* out, int64_t len) {
  for (int64_t i = 0; i < len; i++) out[i] = alpha * x[i];
}

JNN_CLONES void axpy_kernel(float alpha, const float* x, float* y, int64_t len) {
  for (int64_t i = 0; i < len; i++) y[i] += alpha * x[i];
}

JNN_CLONES void fill_kernel(float* x, float value, int64_t len) {
  for (int64_t i = 0; i < len; i++) x[i] = value;
}

}  // namespace

extern "C" {

// out = a + b, all of n elements
int jnn_add(const float* a, int64_t a_off, const float* b, int64_t b_off, float* out, int64_t out_off, int64_t n) {
  return guarded("add", [&] {
    a += a_off; b += b_off; out += out_off;
    parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { add_kernel(a + lo, b + lo, out + lo, hi - lo); });
  });
}

// out = a * b
int jnn_mul(const float* a, int64_t a_off, const float* b, int64_t b_off, float* out, int64_t out_off, int64_t n) {
  return guarded("mul", [&] {
    a += a_off; b += b_off; out += out_off;
    parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { mul_kernel(a + lo, b + lo, out + lo, hi - lo); });
  });
}

// out = alpha * x
int jnn_scale(const float* x, int64_t x_off, float alpha, float* out, int64_t out_off, int64_t n) {
  return guarded("scale", [&] {
    x += x_off; out += out_off;
    parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { scale_kernel(x + lo, alpha, out + lo, hi - lo); });
  });
}

// y += alpha * x
int jnn_axpy(float alpha, const float* x, int64_t x_off, float* y, int64_t y_off, int64_t n) {
  return guarded("axpy", [&] {
    x += x_off; y += y_off;
    parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { axpy_kernel(alpha, x + lo, y + lo, hi - lo); });
  });
}

// x[0..n) = value
int jnn_fill(float* x, int64_t x_off, float value, int64_t n) {
  return guarded("fill", [&] {
    x += x_off;
    parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { fill_kernel(x + lo, value, hi - lo); });
  });
}

// dst[0..n) = src[0..n). memmove: src and dst may be overlapping views of one array (like
// System.arraycopy); a single memmove already runs at memory speed.
int jnn_copy(const float* src, int64_t src_off, float* dst, int64_t dst_off, int64_t n) {
  return guarded("copy", [&] {
    if (n > 0) std::memmove(dst + dst_off, src + src_off, (size_t)n * sizeof(float));
  });
}

}  // extern "C"
