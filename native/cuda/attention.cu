// attention.cu - the attention probabilities: a softmax over the keys of each (batch, head, query)
// row of scaled scores, padding keys and (causal) future keys left out (jnn_cpu's attention.cpp,
// the same formulas).
//
// One warp per row (8 rows per 256-thread block, grid-stride over rows); lane l handles keys
// l, l+32, ...; the row's extremes and sums are fixed-order warp reductions (common.cuh), sums in
// double. The exponent is scale (x - xm), xm the kept score with the largest scale x. y may alias
// x: each element is read and written by one lane, after the row reductions.
#include "common.cuh"

using namespace jnn_cuda;

namespace {
__device__ inline int64_t warp_id() { return ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) / kWarp; }
__device__ inline int64_t warps_in_grid() { return (int64_t)gridDim.x * (blockDim.x / kWarp); }
__device__ inline int lane() { return (int)(threadIdx.x % kWarp); }
}  // namespace

// x, y are (rows = batch heads tq, tk); key_mask (batch, tk) or NULL: key j of row r (batch b, query i)
// is kept when key_mask[b, j] != 0 and, if causal, j <= i.
__global__ void masked_softmax_forward(const float* x, const float* key_mask, int causal, float scale, float* y, int64_t rows, int64_t heads,
                                       int64_t tq, int64_t tk) {
  for (int64_t r = warp_id(); r < rows; r += warps_in_grid()) {
    const int64_t b = r / (heads * tq), i = r % tq;
    const float* xr = x + r * tk;
    float* yr = y + r * tk;
    const float* mr = key_mask ? key_mask + b * tk : nullptr;
    const int64_t keys = causal ? min(tk, i + 1) : tk;  // keys j >= `keys` are in the future
    float hi = -INFINITY, lo = INFINITY;
    double kept = 0.0, nan = 0.0;
    for (int64_t j = lane(); j < keys; j += kWarp) {
      if (mr && mr[j] == 0.0f) continue;
      const float v = xr[j];
      hi = v > hi ? v : hi;
      lo = v < lo ? v : lo;
      kept += 1.0;
      nan += isnan(v) ? 1.0 : 0.0;
    }
    hi = warp_max(hi);
    lo = -warp_max(-lo);
    kept = warp_sum(kept);
    nan = warp_sum(nan);
    const float xm = scale >= 0.0f ? hi : lo, m = scale * xm;
    if (kept == 0.0 || (nan == 0.0 && m == -INFINITY)) {  // no key left, or every kept score is -inf after scaling: zeros
      for (int64_t j = lane(); j < tk; j += kWarp) yr[j] = 0.0f;
      continue;
    }
    if (nan != 0.0 || isnan(m)) {  // NaN among the kept scores (or 0 * inf): the whole row is NaN, as in the reference
      for (int64_t j = lane(); j < tk; j += kWarp) yr[j] = NAN;
      continue;
    }
    double s = 0.0;
    for (int64_t j = lane(); j < keys; j += kWarp)
      if (!mr || mr[j] != 0.0f) s += (double)expf(scale * (xr[j] - xm));
    const float inv = (float)(1.0 / warp_sum(s));
    // NaN everywhere when a kept score was +inf (the sum is NaN), as in the reference
    for (int64_t j = lane(); j < tk; j += kWarp)
      yr[j] = (j < keys && (!mr || mr[j] != 0.0f) ? expf(scale * (xr[j] - xm)) : 0.0f) * inv;
  }
}

extern "C" {

int jnn_cuda_masked_softmax_forward(void* stream, const float* x, const float* key_mask, int causal, float scale, float* y,
                                    int64_t batch, int64_t heads, int64_t tq, int64_t tk) {
  const int64_t rows = batch * heads * tq;
  return rows <= 0 || tk <= 0 ? 0 : launch(masked_softmax_forward, grid_for(rows, kWarpsPerBlock), stream, x, key_mask, causal, scale, y, rows, heads, tq, tk);
}

}  // extern "C"
