// embedding.cpp - embedding lookup (row gather) and its gradient (zero + row scatter-add).
//
// Forward copies rows, in parallel over ids above kGrainCheap floats. Backward scatters serially:
// repeated ids (every padding position, frequent tokens) would race between threads, and the pass
// is O(n*d) memory traffic next to the O(n*d*h) GEMMs of the layers around it.
#include <cstring>

#include "common.h"

using namespace jnn;

namespace {

JNN_CLONES void add_row(float* __restrict dst, const float* __restrict src, int64_t d) {
  for (int64_t q = 0; q < d; q++) dst[q] += src[q];
}

}  // namespace

extern "C" int jnn_embedding_forward(const int32_t* ids, int64_t ids_off, const float* weight, int64_t weight_off, float* out,
                                     int64_t out_off, int64_t n, int64_t d) {
  return guarded("embedding_forward", [&] {
    const int32_t* id = ids + ids_off;
    const float* w = weight + weight_off;
    float* o = out + out_off;
    parallel_for(n, row_grain(d, kGrainCheap), 1, [&](int64_t lo, int64_t hi) {
      for (int64_t k = lo; k < hi; k++) std::memcpy(o + k * d, w + (int64_t)id[k] * d, sizeof(float) * d);
    });
  });
}

extern "C" int jnn_embedding_backward(const int32_t* ids, int64_t ids_off, const float* dout, int64_t dout_off, float* dweight,
                                      int64_t dweight_off, int64_t n, int64_t v, int64_t d, int64_t padding_idx) {
  return guarded("embedding_backward", [&] {
    const int32_t* id = ids + ids_off;
    const float* g = dout + dout_off;
    float* dw = dweight + dweight_off;
    std::memset(dw, 0, sizeof(float) * v * d);
    for (int64_t k = 0; k < n; k++) {
      if (id[k] == padding_idx) continue;
      add_row(dw + (int64_t)id[k] * d, g + k * d, d);
    }
  });
}
