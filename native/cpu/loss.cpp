// loss.cpp - losses as means over their n elements (or rows), forward and backward side by side.
//
// Forward writes the mean to loss[loss_off]; sums accumulate in double (per-element terms of the
// log-based losses are computed in double too: they run once per step on small tensors).
// Backward writes (never accumulates) the gradient of that mean.
#include <cmath>
#include <stdexcept>
#include <string>

#include "common.h"

using namespace jnn;

namespace {

// ---- mse: mean((p - t)^2); dp = 2 (p - t) / n ----------------------------------------------

JNN_CLONES double mse_sum(const float* p, const float* t, int64_t len) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < len; i++) {
    const double d = (double)(p[i] - t[i]);
    s += d * d;
  }
  return s;
}

JNN_CLONES void mse_backward_kernel(const float* p, const float* t, float* dp, int64_t len, float n) {
  for (int64_t i = 0; i < len; i++) dp[i] = 2.0f * (p[i] - t[i]) / n;
}

// ---- bce on probabilities: mean(-(t max(log p, -100) + (1 - t) max(log(1 - p), -100)))
// (log terms clamped at -100 as in PyTorch); dp = (p - t) / max(p (1 - p), 1e-12) / n ----------

double bce_sum(const float* p, const float* t, int64_t len) {
  double s = 0.0;
  for (int64_t i = 0; i < len; i++) {
    const double pi = p[i], ti = t[i];
    double log_p = std::log(pi), log_1mp = std::log(1.0 - pi);
    log_p = log_p < -100.0 ? -100.0 : log_p;  // NaN passes through
    log_1mp = log_1mp < -100.0 ? -100.0 : log_1mp;
    s -= ti * log_p + (1.0 - ti) * log_1mp;
  }
  return s;
}

JNN_CLONES void bce_backward_kernel(const float* p, const float* t, float* dp, int64_t len, float n) {
  for (int64_t i = 0; i < len; i++) {
    float denom = p[i] * (1.0f - p[i]);
    denom = denom < 1e-12f ? 1e-12f : denom;
    dp[i] = (p[i] - t[i]) / denom / n;
  }
}

// ---- bce on logits: mean(max(z, 0) - z t + log1p(exp(-|z|))); dz = (sigmoid(z) - t) / n -----

double bce_logits_sum(const float* z, const float* t, int64_t len) {
  double s = 0.0;
  for (int64_t i = 0; i < len; i++) {
    const double zi = z[i], ti = t[i];
    s += (zi > 0.0 ? zi : 0.0) - zi * ti + std::log1p(std::exp(-std::fabs(zi)));
  }
  return s;
}

JNN_CLONES void bce_logits_backward_kernel(const float* z, const float* t, float* dz, int64_t len, float n) {
  for (int64_t i = 0; i < len; i++) {
    const float e = exp_approx(-std::fabs(z[i]));  // stable sigmoid, as in activation.cpp
    const float inv = 1.0f / (1.0f + e);
    const float sig = z[i] >= 0.0f ? inv : e * inv;
    dz[i] = (sig - t[i]) / n;
  }
}

// ---- softmax cross-entropy with integer labels ---------------------------------------------
// logits, probs are (rows, cols), labels (rows). Per row: probs = softmax(logits) and
// loss_r = -(logit[label] - max - log sum exp(logit - max)); the loss is the mean over rows.
// Backward: dlogits = (probs - onehot(label)) / rows.

JNN_CLONES double softmax_cross_entropy_rows(const float* logits, const int32_t* labels, float* probs, int64_t rows, int64_t cols) {
  double loss = 0.0;
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = logits + r * cols;
    float* pr = probs + r * cols;
    float m = -INFINITY;
#pragma omp simd reduction(max : m)
    for (int64_t j = 0; j < cols; j++) m = xr[j] > m ? xr[j] : m;
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < cols; j++) {
      const float e = exp_approx(xr[j] - m);
      pr[j] = e;
      sum += e;
    }
    const float inv = (float)(1.0 / sum);
    for (int64_t j = 0; j < cols; j++) pr[j] *= inv;
    loss -= (double)xr[labels[r]] - m - std::log(sum);
  }
  return loss;
}

JNN_CLONES void softmax_cross_entropy_backward_rows(const float* probs, const int32_t* labels, float* dlogits,
                                                    int64_t rows, int64_t cols, float total_rows) {
  for (int64_t r = 0; r < rows; r++) {
    const float* pr = probs + r * cols;
    float* dr = dlogits + r * cols;
    for (int64_t j = 0; j < cols; j++) dr[j] = pr[j] / total_rows;
    dr[labels[r]] = (pr[labels[r]] - 1.0f) / total_rows;
  }
}

// Labels index memory: a bad one would write out of bounds, so check them (rows ints, cheap)
// even though Java validates first.
void check_labels(const int32_t* labels, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++)
    if (labels[r] < 0 || labels[r] >= cols)
      throw std::out_of_range("label " + std::to_string(labels[r]) + " at row " + std::to_string(r) +
                              " is outside [0, " + std::to_string(cols) + ")");
}

}  // namespace

extern "C" {

int jnn_mse_forward(const float* pred, int64_t pred_off, const float* target, int64_t target_off, int64_t n, float* loss, int64_t loss_off) {
  return guarded("mse_forward", [&] {
    pred += pred_off; target += target_off;
    const double s = parallel_sum(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { return mse_sum(pred + lo, target + lo, hi - lo); });
    loss[loss_off] = (float)(s / (double)n);
  });
}

int jnn_mse_backward(const float* pred, int64_t pred_off, const float* target, int64_t target_off, float* dpred, int64_t dpred_off, int64_t n) {
  return guarded("mse_backward", [&] {
    pred += pred_off; target += target_off; dpred += dpred_off;
    const float nf = (float)n;
    parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { mse_backward_kernel(pred + lo, target + lo, dpred + lo, hi - lo, nf); });
  });
}

int jnn_bce_forward(const float* p, int64_t p_off, const float* target, int64_t target_off, int64_t n, float* loss, int64_t loss_off) {
  return guarded("bce_forward", [&] {
    p += p_off; target += target_off;
    const double s = parallel_sum(n, kGrainHeavy, 16, [&](int64_t lo, int64_t hi) { return bce_sum(p + lo, target + lo, hi - lo); });
    loss[loss_off] = (float)(s / (double)n);
  });
}

int jnn_bce_backward(const float* p, int64_t p_off, const float* target, int64_t target_off, float* dp, int64_t dp_off, int64_t n) {
  return guarded("bce_backward", [&] {
    p += p_off; target += target_off; dp += dp_off;
    const float nf = (float)n;
    parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { bce_backward_kernel(p + lo, target + lo, dp + lo, hi - lo, nf); });
  });
}

int jnn_bce_logits_forward(const float* z, int64_t z_off, const float* target, int64_t target_off, int64_t n, float* loss, int64_t loss_off) {
  return guarded("bce_logits_forward", [&] {
    z += z_off; target += target_off;
    const double s = parallel_sum(n, kGrainHeavy, 16, [&](int64_t lo, int64_t hi) { return bce_logits_sum(z + lo, target + lo, hi - lo); });
    loss[loss_off] = (float)(s / (double)n);
  });
}

int jnn_bce_logits_backward(const float* z, int64_t z_off, const float* target, int64_t target_off, float* dz, int64_t dz_off, int64_t n) {
  return guarded("bce_logits_backward", [&] {
    z += z_off; target += target_off; dz += dz_off;
    const float nf = (float)n;
    parallel_for(n, kGrainHeavy, 16, [&](int64_t lo, int64_t hi) { bce_logits_backward_kernel(z + lo, target + lo, dz + lo, hi - lo, nf); });
  });
}

int jnn_softmax_cross_entropy_forward(const float* logits, int64_t logits_off, const int32_t* labels, int64_t labels_off,
                                      float* probs, int64_t probs_off, int64_t rows, int64_t cols, float* loss, int64_t loss_off) {
  return guarded("softmax_cross_entropy_forward", [&] {
    logits += logits_off; labels += labels_off; probs += probs_off;
    check_labels(labels, rows, cols);
    const double s = parallel_sum(rows, row_grain(cols, kGrainHeavy), 1, [&](int64_t lo, int64_t hi) {
      return softmax_cross_entropy_rows(logits + lo * cols, labels + lo, probs + lo * cols, hi - lo, cols);
    });
    loss[loss_off] = (float)(s / (double)rows);
  });
}

int jnn_softmax_cross_entropy_backward(const float* probs, int64_t probs_off, const int32_t* labels, int64_t labels_off,
                                       float* dlogits, int64_t dlogits_off, int64_t rows, int64_t cols) {
  return guarded("softmax_cross_entropy_backward", [&] {
    probs += probs_off; labels += labels_off; dlogits += dlogits_off;
    check_labels(labels, rows, cols);
    const float total_rows = (float)rows;
    parallel_for(rows, row_grain(cols, kGrainCheap), 1, [&](int64_t lo, int64_t hi) {
      softmax_cross_entropy_backward_rows(probs + lo * cols, labels + lo, dlogits + lo * cols, hi - lo, cols, total_rows);
    });
  });
}

}  // extern "C"
