// layernorm.cpp - layer normalization over the last axis of a (rows, cols) matrix, forward and
// backward (llm.c's layernorm_forward / layernorm_backward).
//
// Row statistics and the backward's row sums accumulate in double; the per-element arithmetic is
// float, with the saved float mean and rstd, so forward and backward normalize identically.
// Threads split rows. dgamma and dbeta are column sums over rows: each fixed block of rows adds
// into its own double partial sums, which are then added in block order, so the result depends on
// the shape only, never on the thread count.
#include <cmath>
#include <vector>

#include "common.h"

using namespace jnn;

namespace {

// Most row blocks of the backward's partial sums (their memory is 2 * blocks * cols doubles).
constexpr int64_t kMaxRowBlocks = 64;

// x, y are (rows, cols); gamma, beta (cols); mean, rstd (rows): y = (x - mean) rstd gamma + beta.
JNN_CLONES void layernorm_forward_rows(const float* x, const float* gamma, const float* beta, double eps, float* y, float* mean, float* rstd,
                                       int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < cols; j++) sum += xr[j];
    const double mu = sum / (double)cols;
    double sq = 0.0;
#pragma omp simd reduction(+ : sq)
    for (int64_t j = 0; j < cols; j++) {
      const double d = xr[j] - mu;
      sq += d * d;
    }
    const float mu_f = (float)mu, rs_f = (float)(1.0 / std::sqrt(sq / (double)cols + eps));
    for (int64_t j = 0; j < cols; j++) yr[j] = (xr[j] - mu_f) * rs_f * gamma[j] + beta[j];
    mean[r] = mu_f;
    rstd[r] = rs_f;
  }
}

// Rows [r0, r1) of x, dy, dx (rows, cols): writes dx and adds sum_r dy xhat to pg, sum_r dy to pb
// (cols doubles each). Every element of x and dy is read before dx[j] is written (dx may alias either).
JNN_CLONES void layernorm_backward_rows(const float* x, const float* dy, const float* gamma, const float* mean, const float* rstd, float* dx,
                                        double* pg, double* pb, int64_t r0, int64_t r1, int64_t cols) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * cols;
    const float* gr = dy + r * cols;
    float* dr = dx + r * cols;
    const float mu = mean[r], rs = rstd[r];
    double sd = 0.0, sdx = 0.0;
#pragma omp simd reduction(+ : sd, sdx)
    for (int64_t j = 0; j < cols; j++) {
      const float dxhat = gr[j] * gamma[j], xhat = (xr[j] - mu) * rs;
      sd += dxhat;
      sdx += (double)dxhat * xhat;
    }
    const float md = (float)(sd / (double)cols), mdx = (float)(sdx / (double)cols);
    for (int64_t j = 0; j < cols; j++) {
      const float g = gr[j], xhat = (xr[j] - mu) * rs;
      pg[j] += (double)g * xhat;
      pb[j] += g;
      dr[j] = rs * ((g * gamma[j] - md) - xhat * mdx);
    }
  }
}

// partial holds `blocks` pairs of rows (cols doubles: dgamma's, then dbeta's); columns [lo, hi) of
// dgamma and dbeta become their sums in block order.
JNN_CLONES void add_partials(const double* partial, int64_t blocks, int64_t cols, float* dgamma, float* dbeta, int64_t lo, int64_t hi) {
  for (int64_t j = lo; j < hi; j++) {
    double g = 0.0, b = 0.0;
    for (int64_t p = 0; p < blocks; p++) {
      g += partial[2 * p * cols + j];
      b += partial[(2 * p + 1) * cols + j];
    }
    dgamma[j] = (float)g;
    dbeta[j] = (float)b;
  }
}

}  // namespace

extern "C" {

int jnn_layernorm_forward(const float* x, int64_t x_off, const float* gamma, int64_t gamma_off, const float* beta, int64_t beta_off,
                          float eps, float* y, int64_t y_off, float* mean, int64_t mean_off, float* rstd, int64_t rstd_off,
                          int64_t rows, int64_t cols) {
  return guarded("layernorm_forward", [&] {
    if (rows <= 0 || cols <= 0) return;
    x += x_off; gamma += gamma_off; beta += beta_off; y += y_off; mean += mean_off; rstd += rstd_off;
    parallel_for(rows, row_grain(cols, kGrainHeavy), 1, [&](int64_t lo, int64_t hi) {
      layernorm_forward_rows(x + lo * cols, gamma, beta, (double)eps, y + lo * cols, mean + lo, rstd + lo, hi - lo, cols);
    });
  });
}

int jnn_layernorm_backward(const float* x, int64_t x_off, const float* dy, int64_t dy_off, const float* gamma, int64_t gamma_off,
                           const float* mean, int64_t mean_off, const float* rstd, int64_t rstd_off, float* dx, int64_t dx_off,
                           float* dgamma, int64_t dgamma_off, float* dbeta, int64_t dbeta_off, int64_t rows, int64_t cols) {
  return guarded("layernorm_backward", [&] {
    if (cols <= 0) return;
    x += x_off; dy += dy_off; gamma += gamma_off; mean += mean_off; rstd += rstd_off; dx += dx_off; dgamma += dgamma_off; dbeta += dbeta_off;
    if (rows <= 0) {
      for (int64_t j = 0; j < cols; j++) dgamma[j] = dbeta[j] = 0.0f;
      return;
    }
    // Row blocks of at least kGrainHeavy elements, at most kMaxRowBlocks of them: a function of
    // the shape alone, so the partial sums (and their order) do not depend on the threads.
    const int64_t block = std::max(row_grain(cols, kGrainHeavy), (rows + kMaxRowBlocks - 1) / kMaxRowBlocks);
    const int64_t blocks = (rows + block - 1) / block;
    // Reused across calls on this thread; the OpenMP workers write their own blocks of it.
    thread_local std::vector<double> scratch;
    scratch.assign((size_t)(2 * blocks * cols), 0.0);
    double* partial = scratch.data();
    const int nt = (int)std::min<int64_t>(blocks, threads_for(rows * cols, kGrainHeavy));
    parallel_chunks(nt, blocks, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t p = lo; p < hi; p++)
        layernorm_backward_rows(x, dy, gamma, mean, rstd, dx, partial + 2 * p * cols, partial + (2 * p + 1) * cols, p * block,
                                std::min(rows, (p + 1) * block), cols);
    });
    parallel_for(cols, std::max<int64_t>(16, kGrainCheap / std::max<int64_t>(1, blocks)), 16, [&](int64_t lo, int64_t hi) {
      add_partials(partial, blocks, cols, dgamma, dbeta, lo, hi);
    });
  });
}

}  // extern "C"
