// rnn.cpp - LSTM and GRU over a whole sequence (one layer, one direction, batch-first), one native
// call per forward and per backward.
//
// Forward (R = B*T rows of the (B*T, G*H) gate matrix, row b*T + t):
//   1. gates = X (R, I) W_ih^T                               ONE sgemm for all steps (GRU: gates =
//      biases first, then += the product; LSTM adds b_ih + b_hh in its fused pass below)
//   2. per step t (t = T-1 .. 0 when reverse):
//        gates[:, t] += h_prev (B, H) W_hh^T                one sgemm, rows strided by T*G in place
//        (GRU: hh = h_prev W_hh^T into a (B, 3H) buffer: the n gate needs r * (W_hn h + b_hn))
//        one fused pass: all gate nonlinearities + cell/hidden update, activated gates saved in place
// Backward (reverse time):
//   per step: one fused pass from (dy_t + dh, dc) to the pre-activation gate gradients of the step,
//             then dh = dgates_t W_hh (one sgemm; GRU adds dh z)
//   at the end: dx = dG W_ih (skipped when dx is NULL), dW_ih = dG^T X, dW_hh = dG^T Hprev (sgemms
//             over all steps, Hprev the gathered previous hidden states), db = column sums of dG.
// The workspace layout is documented in jnn_cpu.h and shared with the Java reference (JavaRnn).
//
// Threads: the recurrence (step 2 forward, the per-step part of backward) is independent between
// batch rows for the whole sequence. With enough rows (kMinRowsPerThread per thread, see there) one
// OpenMP region per call gives each thread a contiguous block of rows and it runs the entire time
// loop for them alone, with no synchronization across steps: its recurrent products on its rows
// (on AVX-512 our packed-panel kernel gemm_panels_avx512; elsewhere OpenBLAS tiles of m*n*k <=
// kBlasCallerThreadMnk, which OpenBLAS runs on the calling thread without its own pool, see
// gemm.cpp), then the fused pass on its rows. Otherwise each step is one product on all threads
// plus a fused pass that is an OpenMP loop over batch rows above kGrainHeavy elements. The
// all-steps products (input product, dx, dW_ih, dW_hh) and the per-step path's products run on
// oneDNN's sgemm (sgemm.h): the same OpenMP team as the recurrence, not a second pool.
#include <cblas.h>

#include <immintrin.h>

#include <climits>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.h"
#include "sgemm.h"

using namespace jnn;

namespace {

inline float sigm(float v) { return 1.0f / (1.0f + exp_approx(-v)); }
// tanh(v) = 1 - 2 / (exp(2v) + 1): exact limits +-1 (exp overflows to inf / underflows to 0), NaN
// propagates; absolute error ~1 ulp of 1 near 0, where a relative error would need a polynomial.
inline float tanh_f(float v) { return 1.0f - 2.0f / (exp_approx(2.0f * v) + 1.0f); }

void check_dims(int64_t rows, int64_t g, int64_t i, int64_t h) {
  if (rows * g > INT_MAX || g * std::max(i, h) > INT_MAX || rows * std::max(i, h) > INT_MAX)
    throw std::length_error("dimension exceeds the 32-bit BLAS interface: rows=" + std::to_string(rows) + " gates=" + std::to_string(g));
}

// C (m, n, row stride ldc) (+)= A (m, k, lda) B^T with B (n, k) contiguous.
inline void gemm_nt(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, float beta, float* c, int64_t ldc) {
  sgemm(false, true, m, n, k, 1.0f, a, lda, b, k, beta, c, ldc);
}
// C (m, n, ldc) (+)= A (m, k, lda) B with B (k, n) contiguous.
inline void gemm_nn(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, float beta, float* c, int64_t ldc) {
  sgemm(false, false, m, n, k, 1.0f, a, lda, b, n, beta, c, ldc);
}
// C (m, n) = A^T B with A (k, m), B (k, n), all contiguous.
inline void gemm_tn(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c) {
  sgemm(true, false, m, n, k, 1.0f, a, m, b, n, 0.0f, c, n);
}

// Rows of one recurrent-product tile in the split path; the columns then fill the tile up to
// kBlasCallerThreadMnk (a multiple of 16): at H 128, 16 x 128 tiles forward (4 per step) and
// 16 x 32 backward. 8 rows was slower (B 32: forward 12.0 against 8.5 ms per training step), 32
// the same as 16 at B 64. Tiles rather than openblas_set_num_threads_local(1) around whole-block
// products: in the OpenBLAS preset (0.3.31, pthreads) that function sets the process-wide count
// (other Java threads' sgemms would run on one thread meanwhile, and concurrent restores race), and
// even so set globally it was slower overall (B 32: backward 14.5-15.3 against 12.0-12.1 ms per
// training step, forward 8.5-8.9 against 9.3-9.4).
constexpr int64_t kTileRows = 16;

// Tile columns for an (mb, ., k) product under kBlasCallerThreadMnk; 0 when not even 16 fit.
inline int64_t tile_cols(int64_t mb, int64_t k) { return kBlasCallerThreadMnk / (mb * k) / 16 * 16; }

// The recurrent products of the split path on AVX-512: C (m, n, ldc) = beta C + A (m, k, lda) B
// with B (k, n) the same for every step (W_hh^T forward, W_hh backward). B is packed once per
// kernel call into panels of W = 16 NV columns, each panel (k, W) contiguous and zero-padded, so a
// panel (at H 128: 24 KB forward, 64 KB backward) stays in L1/L2 while every MR rows of A are
// multiplied by it; unpacked, B's rows lie n floats apart and fall into a few L1 sets. MR x NV accumulators,
// k in order with FMAs; the last panel's column tail is masked on store. Measured per step (16 rows
// of one thread, H 128) on the Xeon of docs/BENCHMARKS.md: forward (n 512) 8 x 3 panels 12.2 us
// against 17.2 for the unpacked 4 x 64 kernel before it, 13.1 for 8 x 2, 13.7 for 4 x 4; backward
// (n 128) 8 x 2 13.3 us against 15.9, 15.1 for 4 x 4.
template <int MR, int NV>
__attribute__((target("avx512f"))) inline void panel_rows_avx512(int64_t k, const float* a, int64_t lda, const float* panel, float beta, float* c,
                                                                  int64_t ldc, int64_t cols) {
  __m512 acc[MR][NV];
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
  for (int64_t p = 0; p < k; p++) {
    __m512 bv[NV];
    for (int v = 0; v < NV; v++) bv[v] = _mm512_loadu_ps(panel + (p * NV + v) * 16);
    for (int r = 0; r < MR; r++) {
      const __m512 av = _mm512_set1_ps(a[r * lda + p]);
      for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
  }
  for (int v = 0; v < NV; v++) {
    const int64_t left = cols - 16 * v;
    const __mmask16 mk = (__mmask16)(left >= 16 ? 0xFFFFu : left > 0 ? (1u << left) - 1u : 0u);
    for (int r = 0; r < MR; r++) {
      float* cp = c + r * ldc + 16 * v;
      __m512 out = acc[r][v];
      if (beta != 0.0f) out = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mk, cp)), out);
      _mm512_mask_storeu_ps(cp, mk, out);
    }
  }
}

template <int NV>
__attribute__((target("avx512f"))) void gemm_panels_avx512(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* packed,
                                                           float beta, float* c, int64_t ldc) {
  constexpr int64_t W = 16 * NV;
  for (int64_t j0 = 0; j0 < n; j0 += W) {
    const float* panel = packed + j0 * k;   // panel j0 / W starts at (j0 / W) * k * W
    const int64_t cols = n - j0;
    int64_t i = 0;
    for (; i + 8 <= m; i += 8) panel_rows_avx512<8, NV>(k, a + i * lda, lda, panel, beta, c + i * ldc + j0, ldc, cols);
    if (i + 4 <= m) { panel_rows_avx512<4, NV>(k, a + i * lda, lda, panel, beta, c + i * ldc + j0, ldc, cols); i += 4; }
    if (i + 2 <= m) { panel_rows_avx512<2, NV>(k, a + i * lda, lda, panel, beta, c + i * ldc + j0, ldc, cols); i += 2; }
    if (i < m) panel_rows_avx512<1, NV>(k, a + i * lda, lda, panel, beta, c + i * ldc + j0, ldc, cols);
  }
}


// The B operand of a split path's recurrent product, from W_hh (rows, cols) = (G, H) as it lies:
// op(B) = W_hh^T (k = H, n = G) for the forward's C += A W_hh^T (transpose), W_hh (k = G, n = H) for
// the backward's C = A W_hh. On AVX-512 op(B) is packed once per kernel call for
// gemm_panels_avx512: 3 vectors per panel for the forward's wide n, 2 for the backward's n = H.
struct RecB {
  const float* b;
  int nv = 0;
  std::vector<float> packed;   // panels of (k, 16 nv), empty without AVX-512
  RecB(const float* w, int64_t rows, int64_t cols, bool transpose) : b(w) {
    if (!avx512_enabled()) return;
    nv = transpose ? 3 : 2;
    const int64_t k = transpose ? cols : rows, n = transpose ? rows : cols;
    const int64_t W = 16 * nv, panels = (n + W - 1) / W;
    packed.assign((size_t)(panels * k * W), 0.0f);
    for (int64_t j = 0; j < n; j++) {
      float* col = packed.data() + (j / W) * k * W + j % W;
      for (int64_t p = 0; p < k; p++) col[p * W] = transpose ? w[j * cols + p] : w[p * cols + j];
    }
  }
};

// C (m, n, ldc) (+)= A (m, k, lda) op(B), B contiguous: (n, k) when trans_b (C += A B^T), else
// (k, n). On AVX-512 one gemm_panels_avx512 call on rb's packed panels; else cut
// into tiles that OpenBLAS runs on the calling thread, so it may run inside an OpenMP region.
// Needs tile_cols(min(m, kTileRows), k) >= 16 (split_threads checks it).
void gemm_caller_thread(bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const RecB& rb, float beta,
                        float* c, int64_t ldc) {
  if (rb.nv != 0) {   // packed when the kernel call began with the AVX-512 kernels on
    if (rb.nv == 3) gemm_panels_avx512<3>(m, n, k, a, lda, rb.packed.data(), beta, c, ldc);
    else gemm_panels_avx512<2>(m, n, k, a, lda, rb.packed.data(), beta, c, ldc);
    return;
  }
  const float* b = rb.b;
  const int64_t mb_max = std::min(m, kTileRows);
  const int64_t nb_max = std::min(n, tile_cols(mb_max, k));
  for (int64_t i0 = 0; i0 < m; i0 += mb_max) {
    const int64_t mb = std::min(mb_max, m - i0);
    for (int64_t j0 = 0; j0 < n; j0 += nb_max) {
      const int64_t nb = std::min(nb_max, n - j0);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, (int)mb, (int)nb, (int)k, 1.0f, a + i0 * lda,
                  (int)lda, trans_b ? b + j0 * k : b + j0, (int)(trans_b ? k : n), beta, c + i0 * ldc + j0, (int)ldc);
    }
  }
}

// Every row of gates (rows, g) = b1 + b2 (b2 only for the first g2 columns).
JNN_CLONES void bias_rows(float* gates, int64_t rows, int64_t g, const float* b1, const float* b2, int64_t g2) {
  for (int64_t r = 0; r < rows; r++) {
    float* row = gates + r * g;
    for (int64_t q = 0; q < g2; q++) row[q] = b1[q] + b2[q];
    for (int64_t q = g2; q < g; q++) row[q] = b1[q];
  }
}

// Column sums of a (rows, g) into out (g), accumulated in double.
JNN_CLONES void col_sums_range(const float* a, int64_t rows, int64_t g, int64_t c0, int64_t c1, double* acc, float* out) {
  const int64_t w = c1 - c0;
  for (int64_t q = 0; q < w; q++) acc[q] = 0.0;
  for (int64_t r = 0; r < rows; r++) {
    const float* row = a + r * g + c0;
    for (int64_t q = 0; q < w; q++) acc[q] += row[q];
  }
  for (int64_t q = 0; q < w; q++) out[c0 + q] = (float)acc[q];
}

// out (g) = column sums of a (rows, g), in double, columns split over threads (each column summed
// in row order, so the result does not depend on the thread count): the bias gradients, 4 MB of
// dG at the char-LSTM's shape, 0.2 ms per layer on one thread.
void col_sums(const float* a, int64_t rows, int64_t g, float* out) {
  parallel_for(g, row_grain(rows, kGrainCheap), 16, [&](int64_t lo, int64_t hi) {
    std::vector<double> acc((size_t)(hi - lo));
    col_sums_range(a, rows, g, lo, hi, acc.data(), out);
  });
}

// One LSTM cell row: pre-activations gr[i|f|g|o] -> activated in place, c, h.
// gr holds the step's products X W_ih^T + h W_hh^T; bias (4h) = b_ih + b_hh is added here, in the
// pass that reads the row anyway, rather than by a pass of its own over all rows before the input
// product (0.2 ms per layer and training step at the char-LSTM's shape).
JNN_CLONES void lstm_cell_fwd(float* __restrict gr, const float* __restrict bias, const float* __restrict cp, float* __restrict c, float* __restrict y,
                              int64_t h) {
  for (int64_t j = 0; j < h; j++) {
    const float ig = sigm(gr[j] + bias[j]), fg = sigm(gr[h + j] + bias[h + j]), cg = tanh_f(gr[2 * h + j] + bias[2 * h + j]),
                og = sigm(gr[3 * h + j] + bias[3 * h + j]);
    const float cprev = cp ? cp[j] : 0.0f;
    const float cn = fg * cprev + ig * cg;
    gr[j] = ig; gr[h + j] = fg; gr[2 * h + j] = cg; gr[3 * h + j] = og;
    c[j] = cn;
    y[j] = og * tanh_f(cn);
  }
}

// One LSTM gradient row: (dy + dh, dc) -> pre-activation gate gradients dg; dc becomes dc_prev.
JNN_CLONES void lstm_cell_bwd(const float* __restrict gr, const float* __restrict c, const float* __restrict cp, const float* __restrict dy,
                              const float* __restrict dh, float* __restrict dc, float* __restrict dg, int64_t h) {
  for (int64_t j = 0; j < h; j++) {
    const float ig = gr[j], fg = gr[h + j], cg = gr[2 * h + j], og = gr[3 * h + j];
    const float cprev = cp ? cp[j] : 0.0f;
    const float tc = tanh_f(c[j]);
    const float dhv = dy[j] + dh[j];
    const float dct = dc[j] + dhv * og * (1.0f - tc * tc);
    dg[j] = dct * cg * ig * (1.0f - ig);
    dg[h + j] = dct * cprev * fg * (1.0f - fg);
    dg[2 * h + j] = dct * ig * (1.0f - cg * cg);
    dg[3 * h + j] = dhv * tc * og * (1.0f - og);
    dc[j] = dct * fg;
  }
}

// One GRU cell row: gr (x part, pre-activation r|z|n) -> activated in place; hr = h_prev W_hh^T row.
JNN_CLONES void gru_cell_fwd(float* __restrict gr, const float* __restrict hr, const float* __restrict bhn, const float* __restrict hp,
                             float* __restrict hn, float* __restrict y, int64_t h) {
  for (int64_t j = 0; j < h; j++) {
    const float r = sigm(gr[j] + hr[j]);
    const float z = sigm(gr[h + j] + hr[h + j]);
    const float hnv = hr[2 * h + j] + bhn[j];
    const float n = tanh_f(gr[2 * h + j] + r * hnv);
    const float hprev = hp ? hp[j] : 0.0f;
    gr[j] = r; gr[h + j] = z; gr[2 * h + j] = n;
    hn[j] = hnv;
    y[j] = (1.0f - z) * n + z * hprev;
  }
}

// One GRU gradient row: dh (in: from later steps) + dy -> dgi, dgh; dh becomes dh z (the direct path).
JNN_CLONES void gru_cell_bwd(const float* __restrict gr, const float* __restrict hn, const float* __restrict hp, const float* __restrict dy,
                             float* __restrict dh, float* __restrict dgi, float* __restrict dgh, int64_t h) {
  for (int64_t j = 0; j < h; j++) {
    const float r = gr[j], z = gr[h + j], n = gr[2 * h + j];
    const float hprev = hp ? hp[j] : 0.0f;
    const float dhv = dy[j] + dh[j];
    const float dnp = dhv * (1.0f - z) * (1.0f - n * n);
    const float dzp = dhv * (hprev - n) * z * (1.0f - z);
    const float drp = dnp * hn[j] * r * (1.0f - r);
    dgi[j] = drp; dgi[h + j] = dzp; dgi[2 * h + j] = dnp;
    dgh[j] = drp; dgh[h + j] = dzp; dgh[2 * h + j] = dnp * r;
    dh[j] = dhv * z;
  }
}

struct Seq {
  int64_t B, T, I, H;
  bool rev;
  int64_t step(int64_t s) const { return rev ? T - 1 - s : s; }
};

// Runs body(b) for every batch row, in parallel when a row pass over all rows is worth it.
template <class F>
void rows_for(const Seq& q, int64_t per_row, F&& body) {
  parallel_for(q.B, row_grain(per_row, kGrainHeavy), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; b++) body(b);
  });
}

// Rows per thread below which the recurrence is not split by batch rows (then: B < 2 * threads).
// Measured with `./jnn bench lstm --devices cpu --batch B` (2 x LSTM(128), T 64) on 2 cores, LSTM
// forward / backward ms per training step, split vs per-step path: B 2 (1 row per thread) 1.13 /
// 1.66 vs 1.05 / 1.49 (no gain); B 4: 1.83 / 2.27 vs 3.63 / 2.24; B 8: 4.36 / 3.45 vs 6.18 / 4.40;
// B 16: 6.18 / 6.04 vs 12.8 / 16.1; B 32: 8.5 / 11.9 vs 17.3 / 24.2.
constexpr int64_t kMinRowsPerThread = 2;

// Threads for the split path (batch rows per thread >= kMinRowsPerThread, products k deep tileable);
// 1 means: use the per-step path. Not tileable: 16 columns of min(B, 16) rows exceed the caller-thread
// bound, i.e. the backward above H 256 (k = 4H) at B >= 16; there the per-step path is faster
// (H 512, B 32: backward 184 ms per training step, against 249-256 ms with 8 x 16 tiles), while the
// split forward still gains (114 -> 87 ms); H 256 gains both ways (42 -> 23 / 64 -> 47 ms).
inline int split_threads(const Seq& q, int64_t k_max) {
  if (tile_cols(std::min(q.B, kTileRows), k_max) < 16) return 1;
  return (int)std::max<int64_t>(1, std::min<int64_t>(max_threads(), q.B / kMinRowsPerThread));
}

// body(lo, hi) on nt threads, each one contiguous block of batch rows. body must not throw and
// may call BLAS only through gemm_caller_thread.
template <class Body>
void split_rows(int nt, int64_t rows, Body&& body) {
#pragma omp parallel num_threads(nt)
  {
    const int64_t t = omp_get_thread_num(), team = omp_get_num_threads();
    const int64_t lo = rows * t / team, hi = rows * (t + 1) / team;
    if (lo < hi) body(lo, hi);
  }
}

// hprev row (b, t) = the hidden state before step t: y at the previously processed step, h0, or 0.
void gather_hprev(const Seq& q, const float* h0, const float* y, float* hp) {
  rows_for(q, q.T * q.H, [&](int64_t b) {
    for (int64_t s = 0; s < q.T; s++) {
      float* dst = hp + (b * q.T + q.step(s)) * q.H;
      if (s > 0) std::memcpy(dst, y + (b * q.T + q.step(s - 1)) * q.H, sizeof(float) * q.H);
      else if (h0) std::memcpy(dst, h0 + b * q.H, sizeof(float) * q.H);
      else std::memset(dst, 0, sizeof(float) * q.H);
    }
  });
}

// The backward's products over all steps (R = B*T rows, G gate columns): Hprev gathered into hp,
// dx = dGi W_ih (skipped when dx is null), dW_ih = dGi^T X, dW_hh = dGh^T Hprev. An LSTM passes its
// one dG as both dGi and dGh; a GRU's differ in the n gate.
void all_steps_grads(const Seq& q, int64_t G, const float* h0, const float* y, float* hp, const float* dgi, const float* dgh, const float* x,
                     const float* w_ih, float* dx, float* dw_ih, float* dw_hh) {
  const int64_t R = q.B * q.T;
  gather_hprev(q, h0, y, hp);
  if (dx) gemm_nn(R, q.I, G, dgi, G, w_ih, 0.0f, dx, q.I);
  gemm_tn(G, q.I, R, dgi, x, dw_ih);
  gemm_tn(G, q.H, R, dgh, hp, dw_hh);
}

int64_t lstm_ws(int64_t b, int64_t t, int64_t h) { return b * t * 10 * h + 2 * b * h; }
int64_t gru_ws(int64_t b, int64_t t, int64_t h) { return b * t * 11 * h + 4 * b * h; }

}  // namespace

extern "C" int64_t jnn_lstm_workspace_size(int b, int t, int i, int h) { (void)i; return lstm_ws(b, t, h); }
extern "C" int64_t jnn_gru_workspace_size(int b, int t, int i, int h) { (void)i; return gru_ws(b, t, h); }

extern "C" int jnn_lstm_forward(const float* x, int64_t x_off, const float* h0, int64_t h0_off, const float* c0, int64_t c0_off,
                                const float* w_ih, int64_t w_ih_off, const float* w_hh, int64_t w_hh_off, const float* b_ih, int64_t b_ih_off,
                                const float* b_hh, int64_t b_hh_off, float* y, int64_t y_off, float* h_t, int64_t h_t_off, float* c_t,
                                int64_t c_t_off, float* ws, int64_t ws_off, int b, int t, int i, int h, int reverse) {
  return guarded("lstm_forward", [&] {
    const Seq q{b, t, i, h, reverse != 0};
    const int64_t G = 4 * q.H, R = q.B * q.T;
    check_dims(R, G, q.I, q.H);
    const float* X = x + x_off; const float* Wih = w_ih + w_ih_off; const float* Whh = w_hh + w_hh_off;
    const float* H0 = h0 ? h0 + h0_off : nullptr; const float* C0 = c0 ? c0 + c0_off : nullptr;
    float* Y = y + y_off;
    float* gates = ws + ws_off;
    float* cells = gates + R * G;
    std::vector<float> bias(G);
    for (int64_t j = 0; j < G; j++) bias[j] = b_ih[b_ih_off + j] + b_hh[b_hh_off + j];
    gemm_nt(R, G, q.I, X, q.I, Wih, 0.0f, gates, G);
    const int nt = split_threads(q, q.H);
    if (nt > 1) {
      const RecB rb(Whh, G, q.H, true);
      split_rows(nt, q.B, [&](int64_t lo, int64_t hi) {
        for (int64_t s = 0; s < q.T; s++) {
          const int64_t tt = q.step(s), tp = s > 0 ? q.step(s - 1) : -1;
          if (tp >= 0) gemm_caller_thread(true, hi - lo, G, q.H, Y + (lo * q.T + tp) * q.H, q.T * q.H, rb, 1.0f, gates + (lo * q.T + tt) * G, q.T * G);
          else if (H0) gemm_caller_thread(true, hi - lo, G, q.H, H0 + lo * q.H, q.H, rb, 1.0f, gates + (lo * q.T + tt) * G, q.T * G);
          for (int64_t bi = lo; bi < hi; bi++) {
            const float* cp = tp >= 0 ? cells + (bi * q.T + tp) * q.H : C0 ? C0 + bi * q.H : nullptr;
            lstm_cell_fwd(gates + (bi * q.T + tt) * G, bias.data(), cp, cells + (bi * q.T + tt) * q.H, Y + (bi * q.T + tt) * q.H, q.H);
          }
        }
      });
    } else {
      for (int64_t s = 0; s < q.T; s++) {
        const int64_t tt = q.step(s), tp = s > 0 ? q.step(s - 1) : -1;
        if (tp >= 0) gemm_nt(q.B, G, q.H, Y + tp * q.H, q.T * q.H, Whh, 1.0f, gates + tt * G, q.T * G);
        else if (H0) gemm_nt(q.B, G, q.H, H0, q.H, Whh, 1.0f, gates + tt * G, q.T * G);
        rows_for(q, 4 * q.H, [&](int64_t bi) {
          const float* cp = tp >= 0 ? cells + (bi * q.T + tp) * q.H : C0 ? C0 + bi * q.H : nullptr;
          lstm_cell_fwd(gates + (bi * q.T + tt) * G, bias.data(), cp, cells + (bi * q.T + tt) * q.H, Y + (bi * q.T + tt) * q.H, q.H);
        });
      }
    }
    const int64_t last = q.step(q.T - 1);
    for (int64_t bi = 0; bi < q.B; bi++) {
      std::memcpy(h_t + h_t_off + bi * q.H, Y + (bi * q.T + last) * q.H, sizeof(float) * q.H);
      std::memcpy(c_t + c_t_off + bi * q.H, cells + (bi * q.T + last) * q.H, sizeof(float) * q.H);
    }
  });
}

extern "C" int jnn_lstm_backward(const float* x, int64_t x_off, const float* h0, int64_t h0_off, const float* c0, int64_t c0_off,
                                 const float* w_ih, int64_t w_ih_off, const float* w_hh, int64_t w_hh_off, const float* y, int64_t y_off,
                                 float* ws, int64_t ws_off, const float* dy, int64_t dy_off, const float* dh_t, int64_t dh_t_off,
                                 const float* dc_t, int64_t dc_t_off, float* dx, int64_t dx_off, float* dh0, int64_t dh0_off, float* dc0,
                                 int64_t dc0_off, float* dw_ih, int64_t dw_ih_off, float* dw_hh, int64_t dw_hh_off, float* db_ih,
                                 int64_t db_ih_off, float* db_hh, int64_t db_hh_off, int b, int t, int i, int h, int reverse) {
  return guarded("lstm_backward", [&] {
    const Seq q{b, t, i, h, reverse != 0};
    const int64_t G = 4 * q.H, R = q.B * q.T, BH = q.B * q.H;
    check_dims(R, G, q.I, q.H);
    const float* C0 = c0 ? c0 + c0_off : nullptr;
    const float* Y = y + y_off; const float* DY = dy + dy_off;
    float* gates = ws + ws_off;
    float* cells = gates + R * G;
    float* dg = cells + R * q.H;
    float* hp = dg + R * G;
    float* dh = hp + R * q.H;
    float* dc = dh + BH;
    if (dh_t) std::memcpy(dh, dh_t + dh_t_off, sizeof(float) * BH); else std::memset(dh, 0, sizeof(float) * BH);
    if (dc_t) std::memcpy(dc, dc_t + dc_t_off, sizeof(float) * BH); else std::memset(dc, 0, sizeof(float) * BH);
    const int nt = split_threads(q, G);
    float* db = db_ih + db_ih_off;
    if (nt > 1) {
      const RecB rb(w_hh + w_hh_off, G, q.H, false);
      split_rows(nt, q.B, [&](int64_t lo, int64_t hi) {
        for (int64_t s = q.T - 1; s >= 0; s--) {
          const int64_t tt = q.step(s), tp = s > 0 ? q.step(s - 1) : -1;
          for (int64_t bi = lo; bi < hi; bi++) {
            const int64_t row = bi * q.T + tt;
            const float* cp = tp >= 0 ? cells + (bi * q.T + tp) * q.H : C0 ? C0 + bi * q.H : nullptr;
            lstm_cell_bwd(gates + row * G, cells + row * q.H, cp, DY + row * q.H, dh + bi * q.H, dc + bi * q.H, dg + row * G, q.H);
          }
          gemm_caller_thread(false, hi - lo, q.H, G, dg + (lo * q.T + tt) * G, q.T * G, rb, 0.0f, dh + lo * q.H, q.H);
        }
      });
    } else {
      for (int64_t s = q.T - 1; s >= 0; s--) {
        const int64_t tt = q.step(s), tp = s > 0 ? q.step(s - 1) : -1;
        rows_for(q, 4 * q.H, [&](int64_t bi) {
          const int64_t row = bi * q.T + tt;
          const float* cp = tp >= 0 ? cells + (bi * q.T + tp) * q.H : C0 ? C0 + bi * q.H : nullptr;
          lstm_cell_bwd(gates + row * G, cells + row * q.H, cp, DY + row * q.H, dh + bi * q.H, dc + bi * q.H, dg + row * G, q.H);
        });
        gemm_nn(q.B, q.H, G, dg + tt * G, q.T * G, w_hh + w_hh_off, 0.0f, dh, q.H);
      }
    }
    std::memcpy(dh0 + dh0_off, dh, sizeof(float) * BH);
    std::memcpy(dc0 + dc0_off, dc, sizeof(float) * BH);
    all_steps_grads(q, G, h0 ? h0 + h0_off : nullptr, Y, hp, dg, dg, x + x_off, w_ih + w_ih_off, dx ? dx + dx_off : nullptr, dw_ih + dw_ih_off,
                    dw_hh + dw_hh_off);
    col_sums(dg, R, G, db);
    std::memcpy(db_hh + db_hh_off, db, sizeof(float) * G);
  });
}

extern "C" int jnn_gru_forward(const float* x, int64_t x_off, const float* h0, int64_t h0_off,
                               const float* w_ih, int64_t w_ih_off, const float* w_hh, int64_t w_hh_off, const float* b_ih, int64_t b_ih_off,
                               const float* b_hh, int64_t b_hh_off, float* y, int64_t y_off, float* h_t, int64_t h_t_off,
                               float* ws, int64_t ws_off, int b, int t, int i, int h, int reverse) {
  return guarded("gru_forward", [&] {
    const Seq q{b, t, i, h, reverse != 0};
    const int64_t G = 3 * q.H, R = q.B * q.T;
    check_dims(R, G, q.I, q.H);
    const float* H0 = h0 ? h0 + h0_off : nullptr;
    const float* Whh = w_hh + w_hh_off;
    const float* bhn = b_hh + b_hh_off + 2 * q.H;
    float* Y = y + y_off;
    float* gates = ws + ws_off;
    float* hn = gates + R * G;
    float* hh = hn + R * q.H + 2 * R * G + R * q.H + q.B * q.H;
    bias_rows(gates, R, G, b_ih + b_ih_off, b_hh + b_hh_off, 2 * q.H);
    gemm_nt(R, G, q.I, x + x_off, q.I, w_ih + w_ih_off, 1.0f, gates, G);
    const int nt = split_threads(q, q.H);
    if (nt > 1) {
      const RecB rb(Whh, G, q.H, true);
      split_rows(nt, q.B, [&](int64_t lo, int64_t hi) {
        float* hhr = hh + lo * G;
        for (int64_t s = 0; s < q.T; s++) {
          const int64_t tt = q.step(s), tp = s > 0 ? q.step(s - 1) : -1;
          if (tp >= 0) gemm_caller_thread(true, hi - lo, G, q.H, Y + (lo * q.T + tp) * q.H, q.T * q.H, rb, 0.0f, hhr, G);
          else if (H0) gemm_caller_thread(true, hi - lo, G, q.H, H0 + lo * q.H, q.H, rb, 0.0f, hhr, G);
          else std::memset(hhr, 0, sizeof(float) * (hi - lo) * G);
          for (int64_t bi = lo; bi < hi; bi++) {
            const int64_t row = bi * q.T + tt;
            const float* hp = tp >= 0 ? Y + (bi * q.T + tp) * q.H : H0 ? H0 + bi * q.H : nullptr;
            gru_cell_fwd(gates + row * G, hh + bi * G, bhn, hp, hn + row * q.H, Y + row * q.H, q.H);
          }
        }
      });
    } else {
      for (int64_t s = 0; s < q.T; s++) {
        const int64_t tt = q.step(s), tp = s > 0 ? q.step(s - 1) : -1;
        if (tp >= 0) gemm_nt(q.B, G, q.H, Y + tp * q.H, q.T * q.H, Whh, 0.0f, hh, G);
        else if (H0) gemm_nt(q.B, G, q.H, H0, q.H, Whh, 0.0f, hh, G);
        else std::memset(hh, 0, sizeof(float) * q.B * G);
        rows_for(q, 3 * q.H, [&](int64_t bi) {
          const int64_t row = bi * q.T + tt;
          const float* hp = tp >= 0 ? Y + (bi * q.T + tp) * q.H : H0 ? H0 + bi * q.H : nullptr;
          gru_cell_fwd(gates + row * G, hh + bi * G, bhn, hp, hn + row * q.H, Y + row * q.H, q.H);
        });
      }
    }
    const int64_t last = q.step(q.T - 1);
    for (int64_t bi = 0; bi < q.B; bi++) std::memcpy(h_t + h_t_off + bi * q.H, Y + (bi * q.T + last) * q.H, sizeof(float) * q.H);
  });
}

extern "C" int jnn_gru_backward(const float* x, int64_t x_off, const float* h0, int64_t h0_off,
                                const float* w_ih, int64_t w_ih_off, const float* w_hh, int64_t w_hh_off, const float* y, int64_t y_off,
                                float* ws, int64_t ws_off, const float* dy, int64_t dy_off, const float* dh_t, int64_t dh_t_off,
                                float* dx, int64_t dx_off, float* dh0, int64_t dh0_off,
                                float* dw_ih, int64_t dw_ih_off, float* dw_hh, int64_t dw_hh_off, float* db_ih, int64_t db_ih_off,
                                float* db_hh, int64_t db_hh_off, int b, int t, int i, int h, int reverse) {
  return guarded("gru_backward", [&] {
    const Seq q{b, t, i, h, reverse != 0};
    const int64_t G = 3 * q.H, R = q.B * q.T, BH = q.B * q.H;
    check_dims(R, G, q.I, q.H);
    const float* H0 = h0 ? h0 + h0_off : nullptr;
    const float* Y = y + y_off; const float* DY = dy + dy_off;
    float* gates = ws + ws_off;
    float* hn = gates + R * G;
    float* dgi = hn + R * q.H;
    float* dgh = dgi + R * G;
    float* hp = dgh + R * G;
    float* dh = hp + R * q.H;
    if (dh_t) std::memcpy(dh, dh_t + dh_t_off, sizeof(float) * BH); else std::memset(dh, 0, sizeof(float) * BH);
    const int nt = split_threads(q, G);
    if (nt > 1) {
      const RecB rb(w_hh + w_hh_off, G, q.H, false);
      split_rows(nt, q.B, [&](int64_t lo, int64_t hi) {
        for (int64_t s = q.T - 1; s >= 0; s--) {
          const int64_t tt = q.step(s), tp = s > 0 ? q.step(s - 1) : -1;
          for (int64_t bi = lo; bi < hi; bi++) {
            const int64_t row = bi * q.T + tt;
            const float* hprev = tp >= 0 ? Y + (bi * q.T + tp) * q.H : H0 ? H0 + bi * q.H : nullptr;
            gru_cell_bwd(gates + row * G, hn + row * q.H, hprev, DY + row * q.H, dh + bi * q.H, dgi + row * G, dgh + row * G, q.H);
          }
          gemm_caller_thread(false, hi - lo, q.H, G, dgh + (lo * q.T + tt) * G, q.T * G, rb, 1.0f, dh + lo * q.H, q.H);
        }
      });
    } else {
      for (int64_t s = q.T - 1; s >= 0; s--) {
        const int64_t tt = q.step(s), tp = s > 0 ? q.step(s - 1) : -1;
        rows_for(q, 3 * q.H, [&](int64_t bi) {
          const int64_t row = bi * q.T + tt;
          const float* hprev = tp >= 0 ? Y + (bi * q.T + tp) * q.H : H0 ? H0 + bi * q.H : nullptr;
          gru_cell_bwd(gates + row * G, hn + row * q.H, hprev, DY + row * q.H, dh + bi * q.H, dgi + row * G, dgh + row * G, q.H);
        });
        gemm_nn(q.B, q.H, G, dgh + tt * G, q.T * G, w_hh + w_hh_off, 1.0f, dh, q.H);
      }
    }
    std::memcpy(dh0 + dh0_off, dh, sizeof(float) * BH);
    all_steps_grads(q, G, H0, Y, hp, dgi, dgh, x + x_off, w_ih + w_ih_off, dx ? dx + dx_off : nullptr, dw_ih + dw_ih_off, dw_hh + dw_hh_off);
    col_sums(dgi, R, G, db_ih + db_ih_off);
    col_sums(dgh, R, G, db_hh + db_hh_off);
  });
}
