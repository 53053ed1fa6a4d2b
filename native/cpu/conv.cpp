// conv.cpp - 2-D convolution (NCHW, groups = 1): each kernel first offers the call to oneDNN
// (conv_dnnl.cpp: its JIT convolutions, the default wherever its supports() holds) and otherwise
// runs the batched im2col + sgemm below, which also serves when the user chooses it
// (jnn_conv2d_set_impl). Where measured faster, AUTO runs jnn's own kernels instead of oneDNN:
// the direct forward for few input taps (direct_forward below) and im2col for backward filter on
// tiny output planes (conv_dnnl.cpp, kIm2colFilterMaxPlane).
//
// One native call per batch. Samples are processed in chunks of nb (as many as the workspace
// holds, <= kMaxWorkspaceFloats): the chunk's column matrix col (CRS, nb*PQ), column j*PQ + p*Q + q
// for sample j, makes each pass ONE large GEMM:
//   forward        tmp(K, nb*PQ)  = W(K, CRS) col             then tmp -> y (N,K,P,Q) + bias
//   backward data  col            = W^T(CRS, K) dY(K, nb*PQ)  then col2im -> dx
//   backward filt. dW(K, CRS)    += dY(K, nb*PQ) col^T        (beta = 1 after the first chunk)
// where dY is dy of the chunk gathered to (K, nb*PQ). The workspace is col followed by tmp:
// (CRS + K) * PQ floats per sample. A chunk of one sample needs no gather/scatter (the GEMM reads
// and writes the sample's (K, PQ) slice directly), and a 1x1 kernel with stride 1 and no padding
// needs no im2col then (col is x itself). Layers with large planes and a shallow GEMM (the first
// layer of a CNN: depth C*R*S = 9) run one GEMM per sample on slices of col instead, without the
// tmp pass (per_sample_gemm below says when, and why not for the others).
//
// Threads: im2col, col2im and the reorders are OpenMP loops above a size threshold; the products
// are jnn::sgemm (sgemm.h), on the same OpenMP team, never called from inside an OpenMP region.

#include <immintrin.h>

#include <climits>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.h"
#include "conv_dnnl.h"
#include "sgemm.h"

using namespace jnn;

namespace {

// Workspace cap: 16 Mi floats = 64 MiB.
constexpr int64_t kMaxWorkspaceFloats = int64_t(1) << 24;

struct Geo {
  int64_t N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, P, Q;
  int64_t CRS, PQ, HW;
};

Geo make(int n, int c, int h, int w, int k, int r, int s, int sh, int sw, int ph, int pw, int dh, int dw) {
  Geo g{n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw, 0, 0, 0, 0, 0};
  g.P = (g.H + 2 * g.ph - g.dh * (g.R - 1) - 1) / g.sh + 1;
  g.Q = (g.W + 2 * g.pw - g.dw * (g.S - 1) - 1) / g.sw + 1;
  g.CRS = g.C * g.R * g.S;
  g.PQ = g.P * g.Q;
  g.HW = g.H * g.W;
  return g;
}

int64_t per_sample(const Geo& g) { return (g.CRS + g.K) * g.PQ; }

// Samples per chunk that ws_size floats hold (>= 1: the Java side guarantees one sample fits).
int64_t chunk(const Geo& g, int64_t ws_size) { return std::max<int64_t>(1, std::min<int64_t>(g.N, ws_size / per_sample(g))); }

// Layers with large output planes (P*Q >= kPerSampleMinPQ) and a shallow GEMM (C*R*S <=
// kPerSampleMaxCRS) run one GEMM per sample, straight from / into the sample's own (K, PQ) slice
// (col read with leading dimension nb*PQ): no gather/scatter pass over dy or y. Such a GEMM (depth
// 9 for a 1->32 3x3 layer) is memory-bound and the extra pass would cost more than the GEMM
// itself: measured single-core (thread CPU time) at batch 64, 1->32 at 28x28: forward 1.1-1.3 ->
// 0.4-0.6 ms. Every other layer keeps ONE batched GEMM per chunk: per-sample GEMMs large enough
// for OpenBLAS to thread (32->64 at 13x13: 64x121x288) add a thread hand-off per sample, and on a
// busy machine each hand-off can wait for a scheduler time slice (measured: 5 ms -> 1 s per call
// with another process on the second core), while one batched GEMM waits at most once.
constexpr int64_t kPerSampleMinPQ = 256;
constexpr int64_t kPerSampleMaxCRS = 64;

bool per_sample_gemm(const Geo& g) { return g.PQ >= kPerSampleMinPQ && g.CRS <= kPerSampleMaxCRS; }

bool pointwise(const Geo& g) { return g.R == 1 && g.S == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0; }

void check_blas(const Geo& g, int64_t cols) {
  if (g.CRS > INT_MAX || g.K > INT_MAX || cols > INT_MAX)
    throw std::length_error("GEMM dimension exceeds the 32-bit BLAS interface: CRS=" + std::to_string(g.CRS) +
                            " K=" + std::to_string(g.K) + " columns=" + std::to_string(cols));
}

// Row (c, r, s) of the column matrix for samples [j0, j1) of a chunk of nb:
// dst[j*PQ + p*Q + q] = x_j[c, p*sh - ph + r*dh, q*sw - pw + s*dw] (0 outside). The row's index
// arithmetic is done once for all its samples: with small planes (3x3 outputs) it would otherwise
// cost more than the copying.
JNN_CLONES void im2col_row(const Geo& g, const float* x, float* dst, int64_t row, int64_t j0, int64_t j1) {
  const int64_t c = row / (g.R * g.S), r = row / g.S % g.R, s = row % g.S;
  const int64_t woff = s * g.dw - g.pw;
  // q range whose input column w = q*sw + woff lies in [0, W)
  int64_t q0 = woff >= 0 ? 0 : (-woff + g.sw - 1) / g.sw;
  int64_t q1 = g.W - 1 - woff < 0 ? 0 : (g.W - 1 - woff) / g.sw + 1;
  q0 = std::min(q0, g.Q);
  q1 = std::min(std::max(q1, q0), g.Q);
  // p range whose input row h = p*sh - ph + r*dh lies in [0, H)
  const int64_t hoff = r * g.dh - g.ph;
  int64_t p0 = hoff >= 0 ? 0 : (-hoff + g.sh - 1) / g.sh;
  int64_t p1 = g.H - 1 - hoff < 0 ? 0 : (g.H - 1 - hoff) / g.sh + 1;
  p0 = std::min(p0, g.P);
  p1 = std::min(std::max(p1, p0), g.P);
  for (int64_t j = j0; j < j1; j++) {
    const float* xc = x + (j * g.C + c) * g.HW;
    float* dj = dst + j * g.PQ;
    for (int64_t i = 0; i < p0 * g.Q; i++) dj[i] = 0.0f;
    for (int64_t p = p0; p < p1; p++) {
      float* d = dj + p * g.Q;
      const float* xr = xc + (p * g.sh + hoff) * g.W + woff;
      for (int64_t q = 0; q < q0; q++) d[q] = 0.0f;
      if (g.sw == 1) {
        for (int64_t q = q0; q < q1; q++) d[q] = xr[q];
      } else {
        for (int64_t q = q0; q < q1; q++) d[q] = xr[q * g.sw];
      }
      for (int64_t q = q1; q < g.Q; q++) d[q] = 0.0f;
    }
    for (int64_t i = p1 * g.Q; i < g.PQ; i++) dj[i] = 0.0f;
  }
}

// Output planes of at most this many elements take im2col_row_small.
constexpr int64_t kSmallPlane = 64;


// The per-sample gather of im2col_row_small on AVX-512: 16 elements per masked gather (zeros where
// off is -1), so a 3x3 plane is one instruction and no scalar loop (whose speed also moved by a
// quarter with the code's placement).
__attribute__((target("avx512f"))) void gather_small_avx512(const int32_t* off, int64_t pq, const float* xc, float* dj) {
  for (int64_t i0 = 0; i0 < pq; i0 += 16) {
    const int64_t n = std::min<int64_t>(16, pq - i0);
    const __mmask16 in = (__mmask16)((1u << n) - 1u);
    const __m512i idx = _mm512_maskz_loadu_epi32(in, off + i0);
    const __mmask16 valid = _mm512_mask_cmpge_epi32_mask(in, idx, _mm512_setzero_si512());
    _mm512_mask_storeu_ps(dj + i0, in, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid, idx, xc, 4));
  }
}

// im2col_row for small output planes (P*Q <= kSmallPlane, e.g. 3x3): the row's P*Q source offsets
// in a sample's plane (-1: padding) are computed once, then every sample is one gather of P*Q
// elements. The general loop above spends more on its per-row, per-sample bookkeeping than on
// copying 9 floats: the tutorial CNN's conv3 backward-filter (64->64 on 5x5 inputs, batch 64, 2
// threads) went from 0.48 to 0.30 ms per call with this (and to 0.25 with dbias from the chunks).
JNN_CLONES void im2col_row_small(const Geo& g, const float* x, float* dst, int64_t row, int64_t j0, int64_t j1) {
  const int64_t c = row / (g.R * g.S), r = row / g.S % g.R, s = row % g.S;
  int32_t off[kSmallPlane];
  for (int64_t p = 0; p < g.P; p++)
    for (int64_t q = 0; q < g.Q; q++) {
      const int64_t h = p * g.sh - g.ph + r * g.dh, w = q * g.sw - g.pw + s * g.dw;
      off[p * g.Q + q] = h >= 0 && h < g.H && w >= 0 && w < g.W ? (int32_t)(h * g.W + w) : -1;
    }
  if (avx512_enabled()) {
    for (int64_t j = j0; j < j1; j++) gather_small_avx512(off, g.PQ, x + (j * g.C + c) * g.HW, dst + j * g.PQ);
    return;
  }
  for (int64_t j = j0; j < j1; j++) {
    const float* xc = x + (j * g.C + c) * g.HW;
    float* dj = dst + j * g.PQ;
    for (int64_t i = 0; i < g.PQ; i++) dj[i] = off[i] >= 0 ? xc[off[i]] : 0.0f;
  }
}

// col (CRS, nb*PQ) from samples x[0..nb) (each C*H*W). Work items are (row, sample) pairs, split
// into contiguous ranges; each range is walked row by row.
void im2col(const Geo& g, const float* x, int64_t nb, float* col) {
  const int64_t units = g.CRS * nb, ld = nb * g.PQ;
  parallel_for(units, std::max<int64_t>(1, kGrainCheap / std::max<int64_t>(1, g.PQ)), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi;) {
      const int64_t row = u / nb, j0 = u % nb, j1 = std::min(nb, j0 + (hi - u));
      if (g.PQ <= kSmallPlane) im2col_row_small(g, x, col + row * ld, row, j0, j1);
      else im2col_row(g, x, col + row * ld, row, j0, j1);
      u += j1 - j0;
    }
  });
}

// dx of samples [0..nb) = col2im(col (CRS, nb*PQ)): each (sample, channel) plane is zeroed, then
// gathers its R*S rows; planes are independent, so threads never write the same element.
JNN_CLONES void col2im_plane(const Geo& g, const float* col, int64_t ld, float* dxp, int64_t c) {
  for (int64_t i = 0; i < g.HW; i++) dxp[i] = 0.0f;
  for (int64_t r = 0; r < g.R; r++)
    for (int64_t s = 0; s < g.S; s++) {
      const float* src = col + ((c * g.R + r) * g.S + s) * ld;
      const int64_t woff = s * g.dw - g.pw;
      int64_t q0 = woff >= 0 ? 0 : (-woff + g.sw - 1) / g.sw;
      int64_t q1 = g.W - 1 - woff < 0 ? 0 : (g.W - 1 - woff) / g.sw + 1;
      q0 = std::min(q0, g.Q);
      q1 = std::min(std::max(q1, q0), g.Q);
      for (int64_t p = 0; p < g.P; p++) {
        const int64_t h = p * g.sh - g.ph + r * g.dh;
        if (h < 0 || h >= g.H) continue;
        float* dr = dxp + h * g.W + woff;
        const float* sp = src + p * g.Q;
        if (g.sw == 1) {
          for (int64_t q = q0; q < q1; q++) dr[q] += sp[q];
        } else {
          for (int64_t q = q0; q < q1; q++) dr[q * g.sw] += sp[q];
        }
      }
    }
}

void col2im(const Geo& g, const float* col, int64_t nb, float* dx) {
  const int64_t units = nb * g.C, ld = nb * g.PQ;
  parallel_for(units, std::max<int64_t>(1, kGrainCheap / std::max<int64_t>(1, g.R * g.S * g.PQ)), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; u++) {
      const int64_t j = u / g.C, c = u % g.C;
      col2im_plane(g, col + j * g.PQ, ld, dx + (j * g.C + c) * g.HW, c);
    }
  });
}

// y[j, k, :] = tmp[k, j*PQ : (j+1)*PQ] + bias[k] for the nb samples of a chunk.
JNN_CLONES void scatter_row(float* dst, const float* src, float b, int64_t n) {
  for (int64_t i = 0; i < n; i++) dst[i] = src[i] + b;
}

void tmp_to_y(const Geo& g, const float* tmp, int64_t nb, const float* bias, float* y) {
  const int64_t ld = nb * g.PQ;
  parallel_for(nb * g.K, std::max<int64_t>(1, kGrainCheap / std::max<int64_t>(1, g.PQ)), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; u++) {
      const int64_t j = u / g.K, k = u % g.K;
      scatter_row(y + (j * g.K + k) * g.PQ, tmp + k * ld + j * g.PQ, bias ? bias[k] : 0.0f, g.PQ);
    }
  });
}

// tmp[k, j*PQ : (j+1)*PQ] = dy[j, k, :] for the nb samples of a chunk.
void dy_to_tmp(const Geo& g, const float* dy, int64_t nb, float* tmp) {
  const int64_t ld = nb * g.PQ;
  parallel_for(nb * g.K, std::max<int64_t>(1, kGrainCheap / std::max<int64_t>(1, g.PQ)), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; u++) {
      const int64_t j = u / g.K, k = u % g.K;
      std::memcpy(tmp + k * ld + j * g.PQ, dy + (j * g.K + k) * g.PQ, sizeof(float) * g.PQ);
    }
  });
}

JNN_CLONES void add_bias_rows(float* y, const float* bias, int64_t K, int64_t PQ) {
  for (int64_t k = 0; k < K; k++) {
    const float b = bias[k];
    float* row = y + k * PQ;
    for (int64_t i = 0; i < PQ; i++) row[i] += b;
  }
}

// dbias[k] = sum_{n, pq} dy[n, k, pq], accumulated in double.
// The simd reduction lets the compiler keep several double partial sums (vector lanes): 8x faster
// than one serial double chain, and still double accumulation (the Java reference's sum is serial
// double; the two differ far below float resolution).
JNN_CLONES double sum_row(const float* x, int64_t n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; i++) s += x[i];
  return s;
}

// acc[k] += sum of row k of a (rows, n) in double (the simd reduction: see sum_row).
JNN_CLONES void add_row_sums(const float* a, int64_t rows, int64_t n, double* acc) {
  for (int64_t k = 0; k < rows; k++) {
    const float* row = a + k * n;
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; i++) s += row[i];
    acc[k] += s;
  }
}

// Forward of layers with 9 input taps (C*R*S = 9: a network's first layer on one channel with a 3x3
// kernel, as Fashion-MNIST's), stride 1, dilation 1, on AVX-512: each output row's 16-wide blocks
// are computed from the T taps' input vectors (loaded once per block, zero outside the padding)
// for every output channel, and written once in NCHW. oneDNN's kernels write a blocked layout
// that must then be reordered: for the tutorial CNN's conv1 (1->32, 28x28, batch 64, 2 threads) its
// convolution took 0.12 ms and the reorder 0.22 ms, 0.31-0.40 ms per call in all, against 0.19-0.23
// ms here. With 27 taps (3 channels, the CIFAR-shaped 3->32 on 32x32 with padding 1) oneDNN stays
// faster (0.97 against 1.09 ms), so only T = 9 runs here. Each output is
// bias + sum over taps in tap order (c, r, s), one multiply and one add per tap (no FMA), so the
// result does not depend on the thread count.
// The tap count is a template parameter so that the T input vectors stay in registers (with a
// run-time count they lived on the stack: 0.37 ms instead of 0.19-0.23 for conv1).
template <int T>
__attribute__((target("avx512f"))) void direct_row_avx512(const Geo& g, const float* x, const float* wt, const float* bias, float* y, int64_t p) {
  __m512 xv[T];
  for (int64_t q0 = 0; q0 < g.Q; q0 += 16) {
    const int64_t n = std::min<int64_t>(16, g.Q - q0);
    const __mmask16 out = (__mmask16)((1u << n) - 1u);
    for (int64_t c = 0, t = 0; c < g.C; c++)
      for (int64_t r = 0; r < g.R; r++) {
        const int64_t h = p + r - g.ph;
        for (int64_t s = 0; s < g.S; s++, t++) {
          if (h < 0 || h >= g.H) {
            xv[t] = _mm512_setzero_ps();
            continue;
          }
          const int64_t base = q0 + s - g.pw;   // input column of lane 0; lanes [lo, hi) lie in [0, W)
          const int64_t lo = std::max<int64_t>(0, -base), hi = std::min<int64_t>(n, g.W - base);
          const __mmask16 m = hi > lo ? (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u)) : (__mmask16)0;
          xv[t] = _mm512_maskz_loadu_ps(m, x + (c * g.H + h) * g.W + base);
        }
      }
    for (int64_t k = 0; k < g.K; k++) {
      __m512 acc = _mm512_set1_ps(bias ? bias[k] : 0.0f);
      const float* wk = wt + k * T;
      for (int64_t t = 0; t < T; t++) acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_set1_ps(wk[t]), xv[t]));
      _mm512_mask_storeu_ps(y + (k * g.P + p) * g.Q + q0, out, acc);
    }
  }
}

// y (N, K, P, Q) = conv(x, wt) + bias by direct_row_avx512<T>, rows of all samples split over threads.
template <int T>
void direct_forward_t(const Geo& g, const float* x, const float* wt, const float* bias, float* y) {
  parallel_for(g.N * g.P, std::max<int64_t>(1, kGrainHeavy / std::max<int64_t>(1, g.K * g.Q * T)), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; u++) {
      const int64_t j = u / g.P;
      direct_row_avx512<T>(g, x + j * g.C * g.HW, wt, bias, y + j * g.K * g.PQ, u % g.P);
    }
  });
}

void direct_forward(const Geo& g, const float* x, const float* wt, const float* bias, float* y) { direct_forward_t<9>(g, x, wt, bias, y); }

}  // namespace

namespace jnn::dnnl_conv {

bool direct_forward_fits(const Shape& s) {
  const int64_t taps = (int64_t)s.c * s.r * s.s;
  return avx512_enabled() && taps == 9 && s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 && s.ph >= 0 && s.pw >= 0 &&
         s.h + 2 * s.ph >= s.r && s.w + 2 * s.pw >= s.s;   // a valid geometry with outputs; anything else is oneDNN's to reject
}

}  // namespace jnn::dnnl_conv

extern "C" {

int64_t jnn_conv2d_workspace_size(int n, int c, int h, int w, int k, int r, int s, int sh, int sw, int ph, int pw, int dh, int dw) {
  const Geo g = make(n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw);
  const int64_t per = per_sample(g);
  const int64_t nb = std::max<int64_t>(1, std::min<int64_t>(g.N, kMaxWorkspaceFloats / std::max<int64_t>(1, per)));
  return nb * per;
}

int jnn_conv2d_forward(const float* x, int64_t x_off, const float* wt, int64_t wt_off, const float* bias, int64_t bias_off,
                       float* y, int64_t y_off, float* ws, int64_t ws_off, int64_t ws_size,
                       int n, int c, int h, int w, int k, int r, int s, int sh, int sw, int ph, int pw, int dh, int dw) {
  return guarded("conv2d_forward", [&] {
    const Geo g = make(n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw);
    x += x_off; wt += wt_off; y += y_off;
    const float* b = bias ? bias + bias_off : nullptr;
    if (dnnl_conv::direct_forward({n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw})) {
      dnnl_conv::count_choice(0);
      direct_forward(g, x, wt, b, y);
      return;
    }
    if (dnnl_conv::forward({n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw}, x, wt, b, y)) return;
    ws += ws_off;
    const int64_t nb = chunk(g, ws_size);
    check_blas(g, nb * g.PQ);
    for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
      const int64_t cnt = std::min(nb, g.N - n0), cols = cnt * g.PQ;
      const float* xs = x + n0 * g.C * g.HW;
      if (cnt == 1) {
        // One sample: the GEMM writes y_n (K, PQ) directly.
        const float* col = xs;
        if (!pointwise(g)) { im2col(g, xs, 1, ws); col = ws; }
        float* yn = y + n0 * g.K * g.PQ;
        sgemm(false, false, g.K, cols, g.CRS, 1.0f, wt, g.CRS, col, cols,
                    0.0f, yn, cols);
        if (b) add_bias_rows(yn, b, g.K, g.PQ);
        continue;
      }
      float* col = ws;
      float* tmp = ws + g.CRS * cols;
      im2col(g, xs, cnt, col);
      if (per_sample_gemm(g)) {
        for (int64_t j = 0; j < cnt; j++) {
          float* yn = y + (n0 + j) * g.K * g.PQ;
          sgemm(false, false, g.K, g.PQ, g.CRS, 1.0f, wt, g.CRS, col + j * g.PQ,
                      cols, 0.0f, yn, g.PQ);
        }
        if (b) {
          parallel_for(cnt, std::max<int64_t>(1, kGrainCheap / std::max<int64_t>(1, g.K * g.PQ)), 1, [&](int64_t lo, int64_t hi) {
            for (int64_t j = lo; j < hi; j++) add_bias_rows(y + (n0 + j) * g.K * g.PQ, b, g.K, g.PQ);
          });
        }
        continue;
      }
      sgemm(false, false, g.K, cols, g.CRS, 1.0f, wt, g.CRS, col, cols,
                  0.0f, tmp, cols);
      tmp_to_y(g, tmp, cnt, b, y + n0 * g.K * g.PQ);
    }
  });
}

int jnn_conv2d_backward_data(const float* dy, int64_t dy_off, const float* wt, int64_t wt_off, float* dx, int64_t dx_off,
                             float* ws, int64_t ws_off, int64_t ws_size,
                             int n, int c, int h, int w, int k, int r, int s, int sh, int sw, int ph, int pw, int dh, int dw) {
  return guarded("conv2d_backward_data", [&] {
    const Geo g = make(n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw);
    dy += dy_off; wt += wt_off; dx += dx_off;
    if (dnnl_conv::backward_data({n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw}, dy, wt, dx)) return;
    ws += ws_off;
    const int64_t nb = chunk(g, ws_size);
    check_blas(g, nb * g.PQ);
    for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
      const int64_t cnt = std::min(nb, g.N - n0), cols = cnt * g.PQ;
      float* dxs = dx + n0 * g.C * g.HW;
      const float* dY = dy + n0 * g.K * g.PQ;  // (K, PQ) of the one sample when cnt == 1
      if (cnt > 1 && per_sample_gemm(g)) {  // col[:, j*PQ ..] = W^T dy_j, one GEMM per sample
        for (int64_t j = 0; j < cnt; j++)
          sgemm(true, false, g.CRS, g.PQ, g.K, 1.0f, wt, g.CRS, dY + j * g.K * g.PQ,
                      g.PQ, 0.0f, ws + j * g.PQ, cols);
        col2im(g, ws, cnt, dxs);
        continue;
      }
      if (cnt > 1) {
        float* tmp = ws + g.CRS * cols;
        dy_to_tmp(g, dY, cnt, tmp);
        dY = tmp;
      }
      if (cnt == 1 && pointwise(g)) {  // dx_n (C, HW) = W^T dy_n
        sgemm(true, false, g.CRS, cols, g.K, 1.0f, wt, g.CRS, dY, cols,
                    0.0f, dxs, cols);
        continue;
      }
      sgemm(true, false, g.CRS, cols, g.K, 1.0f, wt, g.CRS, dY, cols,
                  0.0f, ws, cols);
      col2im(g, ws, cnt, dxs);
    }
  });
}

int jnn_conv2d_backward_filter(const float* x, int64_t x_off, const float* dy, int64_t dy_off, float* dw, int64_t dw_off,
                               float* dbias, int64_t dbias_off, float* ws, int64_t ws_off, int64_t ws_size,
                               int n, int c, int h, int w, int k, int r, int s, int sh, int sw, int ph, int pw, int dh, int dw_) {
  return guarded("conv2d_backward_filter", [&] {
    const Geo g = make(n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw_);
    x += x_off; dy += dy_off; dw += dw_off;
    if (dnnl_conv::backward_weights({n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw_}, x, dy, dw, dbias ? dbias + dbias_off : nullptr)) return;
    ws += ws_off;
    const int64_t nb = chunk(g, ws_size);
    check_blas(g, nb * g.PQ);
    // With one batched GEMM per chunk, dbias is summed from the chunk's gathered dY (K, cols) rows,
    // which are contiguous: on 3x3 planes summing dy per (sample, channel) cost 0.04 ms of the
    // 0.3 ms call (conv3 of the tutorial CNN).
    const bool bias_from_chunks = dbias && !per_sample_gemm(g);
    std::vector<double> bias_acc(bias_from_chunks ? (size_t)g.K : 0, 0.0);
    for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
      const int64_t cnt = std::min(nb, g.N - n0), cols = cnt * g.PQ;
      const float* xs = x + n0 * g.C * g.HW;
      const float* dY = dy + n0 * g.K * g.PQ;
      const float* col = xs;
      if (cnt > 1 || !pointwise(g)) { im2col(g, xs, cnt, ws); col = ws; }
      if (cnt > 1 && per_sample_gemm(g)) {  // dW += dy_j col_j^T, one GEMM per sample
        for (int64_t j = 0; j < cnt; j++)
          sgemm(false, true, g.K, g.CRS, g.PQ, 1.0f, dY + j * g.K * g.PQ, g.PQ,
                      col + j * g.PQ, cols, n0 == 0 && j == 0 ? 0.0f : 1.0f, dw, g.CRS);
        continue;
      }
      if (cnt > 1) {
        float* tmp = ws + g.CRS * cols;
        dy_to_tmp(g, dY, cnt, tmp);
        dY = tmp;
      }
      if (bias_from_chunks) add_row_sums(dY, g.K, cols, bias_acc.data());
      sgemm(false, true, g.K, g.CRS, cols, 1.0f, dY, cols, col, cols,
                  n0 == 0 ? 0.0f : 1.0f, dw, g.CRS);
    }
    if (bias_from_chunks) {
      for (int64_t kk = 0; kk < g.K; kk++) dbias[dbias_off + kk] = (float)bias_acc[(size_t)kk];
    } else if (dbias) {
      float* db = dbias + dbias_off;
      parallel_for(g.K, std::max<int64_t>(1, kGrainCheap / std::max<int64_t>(1, g.N * g.PQ)), 1, [&](int64_t lo, int64_t hi) {
        for (int64_t kk = lo; kk < hi; kk++) {
          double acc = 0.0;
          for (int64_t j = 0; j < g.N; j++) acc += sum_row(dy + (j * g.K + kk) * g.PQ, g.PQ);
          db[kk] = (float)acc;
        }
      });
    }
  });
}

}  // extern "C"
