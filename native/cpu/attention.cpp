// attention.cpp - the attention probabilities: a softmax over the keys of each (batch, head,
// query) row of scaled scores, with padding keys and (causal) future keys left out.
//
// Stable form: the exponent is scale (x - xm), where xm is the kept score with the largest
// scale * x, so it is <= 0 and the subtraction is exact for nearby scores (computing scale * x
// first would round large scores before the shift). Row sums accumulate in double. Threads split
// rows, only when the tensor is large.
#include <cmath>

#include "common.h"

using namespace jnn;

namespace {

// x, y are rows of (batch, heads, tq, tk) from row `first` on; key_mask (batch, tk) or NULL.
JNN_CLONES void masked_softmax_rows(const float* x, const float* key_mask, int causal, float scale, float* y, int64_t first, int64_t count,
                                    int64_t heads, int64_t tq, int64_t tk) {
  for (int64_t r = first; r < first + count; r++) {
    const int64_t b = r / (heads * tq), i = r % tq;
    const float* xr = x + (r - first) * tk;
    float* yr = y + (r - first) * tk;
    const float* mr = key_mask ? key_mask + b * tk : nullptr;
    const int64_t keys = causal ? std::min(tk, i + 1) : tk;  // keys j >= `keys` are in the future
    // kept keys: their count, largest and smallest score, and whether one is NaN. Float
    // accumulators only, and the mask test hoisted out of the loop: mixed int/float reductions
    // with a pointer test inside kept GCC's target_clones from vectorizing this loop (it ran
    // scalar, 3x slower than the rest of the kernel).
    float hi = -INFINITY, lo = INFINITY, keptf = 0.0f, nanf = 0.0f;
    if (mr) {
#pragma omp simd reduction(max : hi) reduction(min : lo) reduction(+ : keptf, nanf)
      for (int64_t j = 0; j < keys; j++) {
        const bool in = mr[j] != 0.0f;
        const float v = xr[j];
        hi = in && v > hi ? v : hi;
        lo = in && v < lo ? v : lo;
        keptf += in ? 1.0f : 0.0f;
        nanf += in && v != v ? 1.0f : 0.0f;
      }
    } else {
#pragma omp simd reduction(max : hi) reduction(min : lo) reduction(+ : nanf)
      for (int64_t j = 0; j < keys; j++) {
        const float v = xr[j];
        hi = v > hi ? v : hi;
        lo = v < lo ? v : lo;
        nanf += v != v ? 1.0f : 0.0f;
      }
      keptf = (float)keys;
    }
    const bool none_kept = keptf == 0.0f, nan = nanf != 0.0f;
    const float xm = scale >= 0.0f ? hi : lo, m = scale * xm;
    if (none_kept || (!nan && m == -INFINITY)) {  // no key left, or every kept score is -inf after scaling: zeros
      for (int64_t j = 0; j < tk; j++) yr[j] = 0.0f;
      continue;
    }
    if (nan || m != m) {  // NaN among the kept scores (or 0 * inf): the whole row is NaN, as in the reference
      for (int64_t j = 0; j < tk; j++) yr[j] = NAN;
      continue;
    }
    double sum = 0.0;
    if (mr) {
#pragma omp simd reduction(+ : sum)
      for (int64_t j = 0; j < keys; j++) {
        const float e = mr[j] != 0.0f ? exp_approx(scale * (xr[j] - xm)) : 0.0f;
        yr[j] = e;
        sum += e;
      }
    } else {
#pragma omp simd reduction(+ : sum)
      for (int64_t j = 0; j < keys; j++) {
        const float e = exp_approx(scale * (xr[j] - xm));
        yr[j] = e;
        sum += e;
      }
    }
    const float inv = (float)(1.0 / sum);
    for (int64_t j = 0; j < keys; j++) yr[j] *= inv;
    for (int64_t j = keys; j < tk; j++) yr[j] = 0.0f * inv;  // NaN when a kept score was +inf (sum NaN), as in the reference
  }
}

}  // namespace

extern "C" {

int jnn_masked_softmax_forward(const float* x, int64_t x_off, const float* key_mask, int64_t key_mask_off, int causal, float scale,
                               float* y, int64_t y_off, int64_t batch, int64_t heads, int64_t tq, int64_t tk) {
  return guarded("masked_softmax_forward", [&] {
    const int64_t rows = batch * heads * tq;
    if (rows <= 0 || tk <= 0) return;
    x += x_off; y += y_off;
    if (key_mask) key_mask += key_mask_off;
    parallel_for(rows, row_grain(tk, kGrainHeavy), 1, [&](int64_t lo, int64_t hi) {
      masked_softmax_rows(x + lo * tk, key_mask, causal, scale, y + lo * tk, lo, hi - lo, heads, tq, tk);
    });
  });
}

}  // extern "C"
