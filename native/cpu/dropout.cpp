// dropout.cpp - inverted dropout with a counter-based RNG, forward and backward.
//
// Element i draws u = uniform(seed, counter + i), bit-identical to dev.jnn.backend.DropoutRng
// (Java) and the CUDA kernel: a SplitMix64 finalizer of seed + index * golden ratio, top 24 bits
// as a float in [0, 1). Stateless, so any thread split draws the same mask.
#include "common.h"

using namespace jnn;

namespace {

inline float uniform(uint64_t seed, uint64_t index) {
  uint64_t z = seed + index * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  // z >> 40 < 2^24 fits an int32 and converts exactly; the int32 route vectorizes everywhere.
  return (float)(int32_t)(z >> 40) * 0x1.0p-24f;
}

// x, y, mask hold len floats, element i has RNG index first + i. kept iff u >= p;
// mask = kept ? scale : 0 with scale = 1/(1-p); y = x * mask.
JNN_CLONES void dropout_forward_kernel(const float* x, float* y, float* mask, int64_t len, float p, float scale,
                                       uint64_t seed, uint64_t first) {
  for (int64_t i = 0; i < len; i++) {
    const float m = uniform(seed, first + (uint64_t)i) >= p ? scale : 0.0f;
    mask[i] = m;
    y[i] = x[i] * m;
  }
}

// dx = dy * mask
JNN_CLONES void dropout_backward_kernel(const float* dy, const float* mask, float* dx, int64_t len) {
  for (int64_t i = 0; i < len; i++) dx[i] = dy[i] * mask[i];
}

}  // namespace

extern "C" {

int jnn_dropout_forward(const float* x, int64_t x_off, float* y, int64_t y_off, float* mask, int64_t mask_off, int64_t n,
                        float p, int64_t seed, int64_t counter) {
  return guarded("dropout_forward", [&] {
    x += x_off; y += y_off; mask += mask_off;
    const float scale = 1.0f / (1.0f - p);
    parallel_for(n, kGrainHeavy, 16, [&](int64_t lo, int64_t hi) {
      dropout_forward_kernel(x + lo, y + lo, mask + lo, hi - lo, p, scale, (uint64_t)seed, (uint64_t)counter + (uint64_t)lo);
    });
  });
}

int jnn_dropout_backward(const float* dy, int64_t dy_off, const float* mask, int64_t mask_off, float* dx, int64_t dx_off, int64_t n) {
  return guarded("dropout_backward", [&] {
    dy += dy_off; mask += mask_off; dx += dx_off;
    parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { dropout_backward_kernel(dy + lo, mask + lo, dx + lo, hi - lo); });
  });
}

}  // extern "C"
