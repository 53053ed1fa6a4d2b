// pool.cpp - max / average pooling (NCHW, floor mode, PyTorch semantics) and global average pooling.
// Every (n, c) plane is independent: planes are split over OpenMP threads above a size threshold.
#include <immintrin.h>

#include "common.h"

using namespace jnn;

namespace {

struct PGeo {
  int64_t N, C, H, W, kh, kw, sh, sw, ph, pw, P, Q;
};

PGeo make(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw) {
  PGeo g{n, c, h, w, kh, kw, sh, sw, ph, pw, 0, 0};
  g.P = (g.H + 2 * g.ph - g.kh) / g.sh + 1;
  g.Q = (g.W + 2 * g.pw - g.kw) / g.sw + 1;
  return g;
}

// Planes per thread so that a thread gets >= kGrainCheap input elements.
int64_t plane_grain(int64_t plane) { return std::max<int64_t>(1, kGrainCheap / std::max<int64_t>(1, plane)); }

// One plane: y (P, Q), argmax (P, Q) from x (H, W). First real element of the window, then a
// later one wins if it is greater or NaN (PyTorch's CPU kernel). The comparisons are selects, not
// branches: on real data "greater than the running max" is a coin flip, and mispredicted branches
// made this loop 5-8x slower than a ReLU over the same input.
// MaxPool2d(2) (kernel 2, stride 2, no padding: every window whole), one output row from input
// rows r0, r1 (row r0 starts at plane index base). restrict + 64-bit indices let it vectorize.
inline __attribute__((always_inline)) void max2x2_row(const float* __restrict__ r0, const float* __restrict__ r1, float* __restrict__ yr, int32_t* __restrict__ ar,
                           int64_t Q, int32_t base, int32_t W) {
  for (int64_t q = 0; q < Q; q++) {
    const float a = r0[2 * q], b = r0[2 * q + 1], c = r1[2 * q], d = r1[2 * q + 1];
    const int32_t i0 = base + 2 * (int32_t)q;
    float best = a;
    int32_t bi = i0;
    bool t = (b > best) | (b != b);
    best = t ? b : best; bi = t ? i0 + 1 : bi;
    t = (c > best) | (c != c);
    best = t ? c : best; bi = t ? i0 + W : bi;
    t = (d > best) | (d != d);
    best = t ? d : best; bi = t ? i0 + W + 1 : bi;
    yr[q] = best;
    ar[q] = bi;
  }
}

// MaxPool2d(2) of one plane on AVX-512, 16 outputs of a row at a time: the even and odd input
// columns come from two contiguous (masked) loads per input row and one permute each, where the
// vectorized max2x2_row loads r0[2q] with gathers (~2 ns per input element on the tutorial CNN's
// 11x11 planes, 1 ns on 26x26). The same selects in the same order as max2x2_row, so the same
// outputs and argmax, NaN and ties included.
__attribute__((target("avx512f"))) void max2x2_plane_avx512(const float* x, float* y, int32_t* arg, int64_t P, int64_t Q, int64_t W) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i w1 = _mm512_set1_epi32((int32_t)W), w2 = _mm512_set1_epi32((int32_t)W + 1), one = _mm512_set1_epi32(1);
  for (int64_t p = 0; p < P; p++) {
    const float* r0 = x + 2 * p * W;
    const float* r1 = r0 + W;
    for (int64_t q0 = 0; q0 < Q; q0 += 16) {
      const int64_t n = std::min<int64_t>(16, Q - q0), cols = 2 * n;   // input columns 2 q0 .. 2 q0 + cols - 1
      const __mmask16 out = (__mmask16)((1u << n) - 1u);
      const __mmask16 lo = (__mmask16)(cols >= 16 ? 0xFFFFu : (1u << cols) - 1u), hi = (__mmask16)(cols > 16 ? (1u << (cols - 16)) - 1u : 0u);
      const __m512 t0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * q0), t1 = _mm512_maskz_loadu_ps(hi, r0 + 2 * q0 + 16);
      const __m512 u0 = _mm512_maskz_loadu_ps(lo, r1 + 2 * q0), u1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * q0 + 16);
      const __m512 a = _mm512_permutex2var_ps(t0, even, t1), b = _mm512_permutex2var_ps(t0, odd, t1);
      const __m512 c = _mm512_permutex2var_ps(u0, even, u1), d = _mm512_permutex2var_ps(u0, odd, u1);
      const __m512i i0 = _mm512_add_epi32(_mm512_set1_epi32((int32_t)(2 * p * W + 2 * q0)), even);
      __m512 best = a;
      __m512i bi = i0;
      __mmask16 t = _mm512_cmp_ps_mask(b, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(b, b, _CMP_UNORD_Q);
      best = _mm512_mask_mov_ps(best, t, b);
      bi = _mm512_mask_mov_epi32(bi, t, _mm512_add_epi32(i0, one));
      t = _mm512_cmp_ps_mask(c, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(c, c, _CMP_UNORD_Q);
      best = _mm512_mask_mov_ps(best, t, c);
      bi = _mm512_mask_mov_epi32(bi, t, _mm512_add_epi32(i0, w1));
      t = _mm512_cmp_ps_mask(d, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(d, d, _CMP_UNORD_Q);
      best = _mm512_mask_mov_ps(best, t, d);
      bi = _mm512_mask_mov_epi32(bi, t, _mm512_add_epi32(i0, w2));
      _mm512_mask_storeu_ps(y + p * Q + q0, out, best);
      _mm512_mask_storeu_epi32(arg + p * Q + q0, out, bi);
    }
  }
}

JNN_CLONES void max_plane(const PGeo& g, const float* x, float* y, int32_t* arg) {
  if (g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0) {
    for (int64_t p = 0; p < g.P; p++)
      max2x2_row(x + 2 * p * g.W, x + (2 * p + 1) * g.W, y + p * g.Q, arg + p * g.Q, g.Q, (int32_t)(2 * p * g.W), (int32_t)g.W);
    return;
  }
  for (int64_t p = 0; p < g.P; p++) {
    const int64_t h0 = std::max<int64_t>(p * g.sh - g.ph, 0), h1 = std::min(p * g.sh - g.ph + g.kh, g.H);
    for (int64_t q = 0; q < g.Q; q++) {
      const int64_t w0 = std::max<int64_t>(q * g.sw - g.pw, 0), w1 = std::min(q * g.sw - g.pw + g.kw, g.W);
      float best = -__builtin_huge_valf();
      int64_t bi = h0 * g.W + w0;
      for (int64_t h = h0; h < h1; h++)
        for (int64_t w = w0; w < w1; w++) {
          const float v = x[h * g.W + w];
          const bool t = (v > best) | (v != v);
          best = t ? v : best;
          bi = t ? h * g.W + w : bi;
        }
      y[p * g.Q + q] = best;
      arg[p * g.Q + q] = (int32_t)bi;
    }
  }
}

JNN_CLONES void avg_plane(const PGeo& g, const float* x, float* y) {
  const float div = (float)(g.kh * g.kw);
  for (int64_t p = 0; p < g.P; p++) {
    const int64_t h0 = std::max<int64_t>(p * g.sh - g.ph, 0), h1 = std::min(p * g.sh - g.ph + g.kh, g.H);
    for (int64_t q = 0; q < g.Q; q++) {
      const int64_t w0 = std::max<int64_t>(q * g.sw - g.pw, 0), w1 = std::min(q * g.sw - g.pw + g.kw, g.W);
      float s = 0.0f;
      for (int64_t h = h0; h < h1; h++)
        for (int64_t w = w0; w < w1; w++) s += x[h * g.W + w];
      y[p * g.Q + q] = s / div;
    }
  }
}

JNN_CLONES void avg_plane_backward(const PGeo& g, const float* dy, float* dx) {
  const float div = (float)(g.kh * g.kw);
  for (int64_t i = 0; i < g.H * g.W; i++) dx[i] = 0.0f;
  for (int64_t p = 0; p < g.P; p++) {
    const int64_t h0 = std::max<int64_t>(p * g.sh - g.ph, 0), h1 = std::min(p * g.sh - g.ph + g.kh, g.H);
    for (int64_t q = 0; q < g.Q; q++) {
      const int64_t w0 = std::max<int64_t>(q * g.sw - g.pw, 0), w1 = std::min(q * g.sw - g.pw + g.kw, g.W);
      const float d = dy[p * g.Q + q] / div;
      for (int64_t h = h0; h < h1; h++)
        for (int64_t w = w0; w < w1; w++) dx[h * g.W + w] += d;
    }
  }
}

JNN_CLONES double plane_sum(const float* x, int64_t n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; i++) s += x[i];
  return s;
}

}  // namespace

extern "C" {

int jnn_maxpool2d_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int32_t* argmax, int64_t argmax_off,
                          int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw) {
  return guarded("maxpool2d_forward", [&] {
    const PGeo g = make(n, c, h, w, kh, kw, sh, sw, ph, pw);
    x += x_off; y += y_off; argmax += argmax_off;
    const int64_t HW = g.H * g.W, PQ = g.P * g.Q;
    // MaxPool2d(2) on a CPU with AVX-512: the permute-based plane loop above (same results).
    static const bool avx512 = (__builtin_cpu_init(), __builtin_cpu_supports("avx512f"));
    const bool two = g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0;
    parallel_for(g.N * g.C, plane_grain(HW), 1, [&](int64_t lo, int64_t hi) {
      for (int64_t pl = lo; pl < hi; pl++) {
        if (two && avx512) max2x2_plane_avx512(x + pl * HW, y + pl * PQ, argmax + pl * PQ, g.P, g.Q, g.W);
        else max_plane(g, x + pl * HW, y + pl * PQ, argmax + pl * PQ);
      }
    });
  });
}

int jnn_maxpool2d_backward(const float* dy, int64_t dy_off, const int32_t* argmax, int64_t argmax_off, float* dx, int64_t dx_off,
                           int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw) {
  return guarded("maxpool2d_backward", [&] {
    const PGeo g = make(n, c, h, w, kh, kw, sh, sw, ph, pw);
    dy += dy_off; argmax += argmax_off; dx += dx_off;
    const int64_t HW = g.H * g.W, PQ = g.P * g.Q;
    parallel_for(g.N * g.C, plane_grain(HW), 1, [&](int64_t lo, int64_t hi) {
      for (int64_t pl = lo; pl < hi; pl++) {
        float* d = dx + pl * HW;
        std::memset(d, 0, sizeof(float) * HW);
        const float* g_ = dy + pl * PQ;
        const int32_t* a = argmax + pl * PQ;
        for (int64_t i = 0; i < PQ; i++) d[a[i]] += g_[i];
      }
    });
  });
}

int jnn_avgpool2d_forward(const float* x, int64_t x_off, float* y, int64_t y_off,
                          int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw) {
  return guarded("avgpool2d_forward", [&] {
    const PGeo g = make(n, c, h, w, kh, kw, sh, sw, ph, pw);
    x += x_off; y += y_off;
    const int64_t HW = g.H * g.W, PQ = g.P * g.Q;
    parallel_for(g.N * g.C, plane_grain(HW), 1, [&](int64_t lo, int64_t hi) {
      for (int64_t pl = lo; pl < hi; pl++) avg_plane(g, x + pl * HW, y + pl * PQ);
    });
  });
}

int jnn_avgpool2d_backward(const float* dy, int64_t dy_off, float* dx, int64_t dx_off,
                           int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw) {
  return guarded("avgpool2d_backward", [&] {
    const PGeo g = make(n, c, h, w, kh, kw, sh, sw, ph, pw);
    dy += dy_off; dx += dx_off;
    const int64_t HW = g.H * g.W, PQ = g.P * g.Q;
    parallel_for(g.N * g.C, plane_grain(HW), 1, [&](int64_t lo, int64_t hi) {
      for (int64_t pl = lo; pl < hi; pl++) avg_plane_backward(g, dy + pl * PQ, dx + pl * HW);
    });
  });
}

int jnn_global_avgpool2d_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t planes, int64_t hw) {
  return guarded("global_avgpool2d_forward", [&] {
    x += x_off; y += y_off;
    parallel_for(planes, plane_grain(hw), 1, [&](int64_t lo, int64_t hi) {
      for (int64_t pl = lo; pl < hi; pl++) y[pl] = (float)(plane_sum(x + pl * hw, hw) / (double)hw);
    });
  });
}

int jnn_global_avgpool2d_backward(const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t planes, int64_t hw) {
  return guarded("global_avgpool2d_backward", [&] {
    dy += dy_off; dx += dx_off;
    parallel_for(planes, plane_grain(hw), 1, [&](int64_t lo, int64_t hi) {
      for (int64_t pl = lo; pl < hi; pl++) {
        const float d = dy[pl] / (float)hw;
        float* o = dx + pl * hw;
        for (int64_t i = 0; i < hw; i++) o[i] = d;
      }
    });
  });
}

}  // extern "C"
