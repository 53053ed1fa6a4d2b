// softmax.cpp - softmax and log-softmax over each row of a (rows, cols) matrix, forward and backward.
//
// Stable form: subtract the row max before exp. Row sums accumulate in double. Threads split
// rows (a row is never shared), only when rows * cols is large.
#include <cmath>

#include "common.h"

using namespace jnn;

namespace {

// max over x[0..cols); NaN reaches the output through exp(x - max) either way.
inline float row_max(const float* x, int64_t cols) {
  float m = -INFINITY;
#pragma omp simd reduction(max : m)
  for (int64_t j = 0; j < cols; j++) m = x[j] > m ? x[j] : m;
  return m;
}

// x, y are (rows, cols): y = exp(x - max) / sum exp(x - max), per row.
JNN_CLONES void softmax_forward_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float m = row_max(xr, cols);
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < cols; j++) {
      const float e = exp_approx(xr[j] - m);
      yr[j] = e;
      sum += e;
    }
    const float inv = (float)(1.0 / sum);
    for (int64_t j = 0; j < cols; j++) yr[j] *= inv;
  }
}

// y, dy, dx are (rows, cols): dx = y * (dy - sum_j dy * y), per row.
JNN_CLONES void softmax_backward_rows(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float* yr = y + r * cols;
    const float* dyr = dy + r * cols;
    float* dxr = dx + r * cols;
    double dot = 0.0;
#pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j < cols; j++) dot += (double)dyr[j] * yr[j];
    const float d = (float)dot;
    for (int64_t j = 0; j < cols; j++) dxr[j] = yr[j] * (dyr[j] - d);
  }
}

// x, y are (rows, cols): y = x - max - log(sum exp(x - max)), per row.
JNN_CLONES void log_softmax_forward_rows(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float m = row_max(xr, cols);
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < cols; j++) sum += exp_approx(xr[j] - m);
    const float log_sum = (float)std::log(sum);
    for (int64_t j = 0; j < cols; j++) yr[j] = (xr[j] - m) - log_sum;
  }
}

// y, dy, dx are (rows, cols): dx = dy - exp(y) * sum_j dy, per row.
JNN_CLONES void log_softmax_backward_rows(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float* yr = y + r * cols;
    const float* dyr = dy + r * cols;
    float* dxr = dx + r * cols;
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < cols; j++) sum += dyr[j];
    const float s = (float)sum;
    for (int64_t j = 0; j < cols; j++) dxr[j] = dyr[j] - exp_approx(yr[j]) * s;
  }
}

}  // namespace

extern "C" {

int jnn_softmax_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t rows, int64_t cols) {
  return guarded("softmax_forward", [&] {
    x += x_off; y += y_off;
    parallel_for(rows, row_grain(cols, kGrainHeavy), 1, [&](int64_t lo, int64_t hi) {
      softmax_forward_rows(x + lo * cols, y + lo * cols, hi - lo, cols);
    });
  });
}

int jnn_softmax_backward(const float* y, int64_t y_off, const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t rows, int64_t cols) {
  return guarded("softmax_backward", [&] {
    y += y_off; dy += dy_off; dx += dx_off;
    parallel_for(rows, row_grain(cols, kGrainCheap), 1, [&](int64_t lo, int64_t hi) {
      softmax_backward_rows(y + lo * cols, dy + lo * cols, dx + lo * cols, hi - lo, cols);
    });
  });
}

int jnn_log_softmax_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t rows, int64_t cols) {
  return guarded("log_softmax_forward", [&] {
    x += x_off; y += y_off;
    parallel_for(rows, row_grain(cols, kGrainHeavy), 1, [&](int64_t lo, int64_t hi) {
      log_softmax_forward_rows(x + lo * cols, y + lo * cols, hi - lo, cols);
    });
  });
}

int jnn_log_softmax_backward(const float* y, int64_t y_off, const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t rows, int64_t cols) {
  return guarded("log_softmax_backward", [&] {
    y += y_off; dy += dy_off; dx += dx_off;
    parallel_for(rows, row_grain(cols, kGrainHeavy), 1, [&](int64_t lo, int64_t hi) {
      log_softmax_backward_rows(y + lo * cols, dy + lo * cols, dx + lo * cols, hi - lo, cols);
    });
  });
}

}  // extern "C"
