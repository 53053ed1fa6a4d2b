// batchnorm.cpp - batch normalization over x viewed as (n, c, s), PyTorch's training and
// inference formulas. Statistics accumulate in double (two passes: mean, then squared
// deviations); elementwise outputs are float from float statistics, as the Java reference does.
// Channels are independent: they are split over OpenMP threads above a size threshold.
#include <cmath>

#include "common.h"

using namespace jnn;

namespace {

int64_t channel_grain(int64_t n, int64_t s) { return std::max<int64_t>(1, kGrainCheap / std::max<int64_t>(1, n * s)); }

// simd reductions: double partial sums in vector lanes (still double accumulation).
JNN_CLONES double row_sum(const float* x, int64_t len) {
  double acc = 0.0;
#pragma omp simd reduction(+ : acc)
  for (int64_t i = 0; i < len; i++) acc += x[i];
  return acc;
}

JNN_CLONES double row_sq_dev(const float* x, int64_t len, double mean) {
  double acc = 0.0;
#pragma omp simd reduction(+ : acc)
  for (int64_t i = 0; i < len; i++) { const double d = x[i] - mean; acc += d * d; }
  return acc;
}

JNN_CLONES void row_affine(const float* x, float* y, int64_t len, float mean, float a, float b) {
  for (int64_t i = 0; i < len; i++) y[i] = (x[i] - mean) * a + b;
}

}  // namespace

extern "C" {

int jnn_batchnorm_forward_training(const float* x, int64_t x_off, const float* gamma, int64_t gamma_off, const float* beta, int64_t beta_off,
                                   float* y, int64_t y_off, float* running_mean, int64_t rm_off, float* running_var, int64_t rv_off,
                                   float* save_mean, int64_t sm_off, float* save_inv_std, int64_t sis_off,
                                   float momentum, float eps, int64_t n, int64_t c, int64_t s) {
  return guarded("batchnorm_forward_training", [&] {
    x += x_off; gamma += gamma_off; beta += beta_off; y += y_off; running_mean += rm_off; running_var += rv_off;
    save_mean += sm_off; save_inv_std += sis_off;
    const double m = (double)(n * s);
    parallel_for(c, channel_grain(n, s), 1, [&](int64_t lo, int64_t hi) {
      for (int64_t ch = lo; ch < hi; ch++) {
        double sum = 0.0;
        for (int64_t i = 0; i < n; i++) sum += row_sum(x + (i * c + ch) * s, s);
        const double mean = sum / m;
        double sq = 0.0;
        for (int64_t i = 0; i < n; i++) sq += row_sq_dev(x + (i * c + ch) * s, s, mean);
        const double var = sq / m;
        const float mean_f = (float)mean, inv_std = (float)(1.0 / std::sqrt(var + (double)eps));
        const float a = gamma[ch] * inv_std, b = beta[ch];
        for (int64_t i = 0; i < n; i++) row_affine(x + (i * c + ch) * s, y + (i * c + ch) * s, s, mean_f, a, b);
        save_mean[ch] = mean_f;
        save_inv_std[ch] = inv_std;
        running_mean[ch] = (1.0f - momentum) * running_mean[ch] + momentum * mean_f;
        running_var[ch] = (1.0f - momentum) * running_var[ch] + momentum * (float)(sq / (m - 1.0));
      }
    });
  });
}

int jnn_batchnorm_forward_inference(const float* x, int64_t x_off, const float* gamma, int64_t gamma_off, const float* beta, int64_t beta_off,
                                    const float* running_mean, int64_t rm_off, const float* running_var, int64_t rv_off,
                                    float* y, int64_t y_off, float eps, int64_t n, int64_t c, int64_t s) {
  return guarded("batchnorm_forward_inference", [&] {
    x += x_off; gamma += gamma_off; beta += beta_off; running_mean += rm_off; running_var += rv_off; y += y_off;
    parallel_for(c, channel_grain(n, s), 1, [&](int64_t lo, int64_t hi) {
      for (int64_t ch = lo; ch < hi; ch++) {
        const float inv_std = (float)(1.0 / std::sqrt((double)running_var[ch] + (double)eps));
        const float a = gamma[ch] * inv_std, b = beta[ch], mean = running_mean[ch];
        for (int64_t i = 0; i < n; i++) row_affine(x + (i * c + ch) * s, y + (i * c + ch) * s, s, mean, a, b);
      }
    });
  });
}

int jnn_batchnorm_backward(const float* x, int64_t x_off, const float* dy, int64_t dy_off, const float* gamma, int64_t gamma_off,
                           const float* save_mean, int64_t sm_off, const float* save_inv_std, int64_t sis_off,
                           float* dx, int64_t dx_off, float* dgamma, int64_t dg_off, float* dbeta, int64_t db_off,
                           int64_t n, int64_t c, int64_t s) {
  return guarded("batchnorm_backward", [&] {
    x += x_off; dy += dy_off; gamma += gamma_off; save_mean += sm_off; save_inv_std += sis_off; dx += dx_off; dgamma += dg_off; dbeta += db_off;
    const double m = (double)(n * s);
    parallel_for(c, channel_grain(n, s), 1, [&](int64_t lo, int64_t hi) {
      for (int64_t ch = lo; ch < hi; ch++) {
        const double mean = save_mean[ch], inv_std = save_inv_std[ch];
        double sdy = 0.0, sdyx = 0.0;
        for (int64_t i = 0; i < n; i++) {
          const float* xr = x + (i * c + ch) * s;
          const float* gr = dy + (i * c + ch) * s;
          for (int64_t j = 0; j < s; j++) { const double gv = gr[j]; sdy += gv; sdyx += gv * (xr[j] - mean); }
        }
        const double dg = sdyx * inv_std;
        const float k1 = (float)(gamma[ch] * inv_std), k2 = (float)(sdy / m), k3 = (float)(dg / m);
        const float mean_f = (float)mean, is_f = (float)inv_std;
        for (int64_t i = 0; i < n; i++) {
          const float* xr = x + (i * c + ch) * s;
          const float* gr = dy + (i * c + ch) * s;
          float* o = dx + (i * c + ch) * s;
          for (int64_t j = 0; j < s; j++) {
            const float xhat = (xr[j] - mean_f) * is_f;
            o[j] = k1 * (gr[j] - k2 - xhat * k3);
          }
        }
        dgamma[ch] = (float)dg;
        dbeta[ch] = (float)sdy;
      }
    });
  });
}

}  // extern "C"
