// reduce.cpp - reductions: column sums of a matrix (bias gradients) and the sum of squares
// (gradient-norm clipping). Both accumulate in double.
#include "common.h"

using namespace jnn;

namespace {

constexpr int64_t kMaxBlock = 256;  // columns per accumulator block (2 KiB of doubles on the stack)

// x is (rows, cols); out[j] = sum_i x[i, j] for j in [j0, j1), j1 - j0 <= kMaxBlock. Rows stream
// through once, contiguous within the block, into double accumulators.
JNN_CLONES void sum_rows_block(const float* x, float* out, int64_t rows, int64_t cols, int64_t j0, int64_t j1) {
  double acc[kMaxBlock];
  const int64_t w = j1 - j0;
  for (int64_t j = 0; j < w; j++) acc[j] = 0.0;
  for (int64_t i = 0; i < rows; i++) {
    const float* xr = x + i * cols + j0;
    for (int64_t j = 0; j < w; j++) acc[j] += xr[j];
  }
  for (int64_t j = 0; j < w; j++) out[j0 + j] = (float)acc[j];
}

JNN_CLONES double sum_squares_kernel(const float* x, int64_t len) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < len; i++) s += (double)x[i] * x[i];
  return s;
}

}  // namespace

extern "C" {

// x is (rows, cols), out is (cols): out[j] = sum_i x[i, j], overwritten.
int jnn_sum_rows(const float* x, int64_t x_off, float* out, int64_t out_off, int64_t rows, int64_t cols) {
  return guarded("sum_rows", [&] {
    x += x_off; out += out_off;
    if (cols <= 0) return;
    // Threads split the columns (no cross-thread reduction, deterministic); blocks are a multiple
    // of 16 columns, small enough that every thread gets at least one.
    const int nt = threads_for(rows * cols, kGrainCheap);
    const int64_t per_thread = (cols + nt - 1) / nt;
    const int64_t block = std::min(kMaxBlock, std::max<int64_t>(16, (per_thread + 15) / 16 * 16));
    const int64_t nblocks = (cols + block - 1) / block;
    parallel_chunks(std::min<int64_t>(nt, nblocks), nblocks, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; b++) sum_rows_block(x, out, rows, cols, b * block, std::min(cols, (b + 1) * block));
    });
  });
}

// out[out_off] = sum_i x[i]^2, accumulated in double.
int jnn_sum_squares(const float* x, int64_t x_off, int64_t n, double* out, int64_t out_off) {
  return guarded("sum_squares", [&] {
    x += x_off;
    out[out_off] = parallel_sum(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { return sum_squares_kernel(x + lo, hi - lo); });
  });
}

}  // extern "C"
