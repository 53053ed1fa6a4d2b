// Parity of jnn's CUDA kernels, run under the CPU emulation of emu_common.cuh, against jnn_cpu.
// Built and run by run.sh; prints one FAIL line per mismatching kernel and exits non-zero on any.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <utility>
#include <vector>
#include "jnn/jnn_cpu.h"
#include "jnn/jnn_cuda.h"
namespace jnn_cuda { std::atomic<long> launches{0}; void count_launch() { launches++; } }
using V = std::vector<float>;
static int failures = 0, checks = 0;
static std::mt19937 rng(1234);
V rnd(size_t n, float lo = -3, float hi = 3) { std::uniform_real_distribution<float> d(lo, hi); V v(n); for (auto& x : v) x = d(rng); return v; }
bool close(float a, float b, double rel, double abs_) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs((double)a - b) <= abs_ + rel * std::fabs((double)b);
}
void cmp(const char* what, const V& got, const V& want, double rel = 0, double abs_ = 0) {
  checks++;
  for (size_t i = 0; i < want.size(); i++) {
    bool ok = rel == 0 && abs_ == 0 ? (std::memcmp(&got[i], &want[i], 4) == 0 || (std::isnan(got[i]) && std::isnan(want[i]))) : close(got[i], want[i], rel, abs_);
    if (!ok) { printf("FAIL %s at %zu: cuda %.9g cpu %.9g\n", what, i, got[i], want[i]); failures++; return; }
  }
}
int main() {
  const int64_t n = 1000;
  V a = rnd(n), b = rnd(n); a[3] = NAN; a[10] = INFINITY; a[11] = -INFINITY; a[12] = 0.0f; a[13] = -0.0f;
  V p = rnd(n, 0.01f, 0.99f), t = rnd(n, 0, 1);
  { V o1(n), o2(n);
    jnn_cuda_add(0, a.data(), b.data(), o1.data(), n); jnn_add(a.data(), 0, b.data(), 0, o2.data(), 0, n); cmp("add", o1, o2);
    jnn_cuda_mul(0, a.data(), b.data(), o1.data(), n); jnn_mul(a.data(), 0, b.data(), 0, o2.data(), 0, n); cmp("mul", o1, o2);
    jnn_cuda_scale(0, a.data(), 1.7f, o1.data(), n); jnn_scale(a.data(), 0, 1.7f, o2.data(), 0, n); cmp("scale", o1, o2);
    o1 = b; o2 = b; jnn_cuda_axpy(0, 0.3f, a.data(), o1.data(), n); jnn_axpy(0.3f, a.data(), 0, o2.data(), 0, n); cmp("axpy", o1, o2);
    jnn_cuda_fill(0, o1.data(), 2.5f, n); jnn_fill(o2.data(), 0, 2.5f, n); cmp("fill", o1, o2);
    jnn_cuda_copy(0, a.data(), o1.data(), n); cmp("copy", o1, a);
    for (int shift : {1, 7, 255, 256, 300, -1, -7, -256, -300}) {
      V big = rnd(2500), ref = big; int64_t m = 1500; float* src = big.data() + 300; float* dst = src + shift;
      jnn_cuda_copy(0, src, dst, m); std::memmove(ref.data() + 300 + shift, ref.data() + 300, m * 4);
      char name[64]; snprintf(name, 64, "copy overlapping shift %d", shift); cmp(name, big, ref);
    }
  }
  { V y1(n), y2(n), d1(n), d2(n), dy = rnd(n); V py = rnd(n, 0.01f, 0.99f);
#define ACT(name, in, r, ab) jnn_cuda_##name##_forward(0, in.data(), y1.data(), n); jnn_##name##_forward(in.data(), 0, y2.data(), 0, n); cmp(#name "_forward", y1, y2, r, ab);
    ACT(relu, a, 0, 0) ACT(sigmoid, a, 1e-6, 1e-7) ACT(tanh, a, 1e-6, 1e-7) ACT(gelu, a, 1e-5, 1e-7)
    jnn_cuda_leaky_relu_forward(0, a.data(), y1.data(), n, 0.1f); jnn_leaky_relu_forward(a.data(), 0, y2.data(), 0, n, 0.1f); cmp("leaky_relu_forward", y1, y2);
    jnn_cuda_relu_backward(0, a.data(), dy.data(), d1.data(), n); jnn_relu_backward(a.data(), 0, dy.data(), 0, d2.data(), 0, n); cmp("relu_backward", d1, d2);
    jnn_cuda_leaky_relu_backward(0, a.data(), dy.data(), d1.data(), n, 0.1f); jnn_leaky_relu_backward(a.data(), 0, dy.data(), 0, d2.data(), 0, n, 0.1f); cmp("leaky_relu_backward", d1, d2);
    jnn_cuda_sigmoid_backward(0, py.data(), dy.data(), d1.data(), n); jnn_sigmoid_backward(py.data(), 0, dy.data(), 0, d2.data(), 0, n); cmp("sigmoid_backward", d1, d2);
    jnn_cuda_tanh_backward(0, py.data(), dy.data(), d1.data(), n); jnn_tanh_backward(py.data(), 0, dy.data(), 0, d2.data(), 0, n); cmp("tanh_backward", d1, d2, 1e-6, 1e-7);
    jnn_cuda_gelu_backward(0, a.data(), dy.data(), d1.data(), n); jnn_gelu_backward(a.data(), 0, dy.data(), 0, d2.data(), 0, n); cmp("gelu_backward", d1, d2, 1e-5, 1e-6);
  }
  for (int64_t cols : {1, 5, 33, 300}) {
    int64_t rows = 37, m = rows * cols; V x = rnd(m, -20, 20), y1(m), y2(m), d1(m), d2(m), dy = rnd(m);
    if (cols > 1) x[cols + 1] = NAN;  // row 1 becomes NaN
    char nm[64];
    snprintf(nm, 64, "softmax_forward cols=%ld", cols); jnn_cuda_softmax_forward(0, x.data(), y1.data(), rows, cols); jnn_softmax_forward(x.data(), 0, y2.data(), 0, rows, cols); cmp(nm, y1, y2, 1e-5, 1e-7);
    V y = y2;
    snprintf(nm, 64, "softmax_backward cols=%ld", cols); jnn_cuda_softmax_backward(0, y.data(), dy.data(), d1.data(), rows, cols); jnn_softmax_backward(y.data(), 0, dy.data(), 0, d2.data(), 0, rows, cols); cmp(nm, d1, d2, 1e-5, 1e-6);
    snprintf(nm, 64, "log_softmax_forward cols=%ld", cols); jnn_cuda_log_softmax_forward(0, x.data(), y1.data(), rows, cols); jnn_log_softmax_forward(x.data(), 0, y2.data(), 0, rows, cols); cmp(nm, y1, y2, 1e-5, 1e-6);
    y = y2;
    snprintf(nm, 64, "log_softmax_backward cols=%ld", cols); jnn_cuda_log_softmax_backward(0, y.data(), dy.data(), d1.data(), rows, cols); jnn_log_softmax_backward(y.data(), 0, dy.data(), 0, d2.data(), 0, rows, cols); cmp(nm, d1, d2, 1e-5, 1e-6);
    // in place
    V xi = x; jnn_cuda_softmax_forward(0, xi.data(), xi.data(), rows, cols); jnn_softmax_forward(x.data(), 0, y2.data(), 0, rows, cols); snprintf(nm, 64, "softmax in place cols=%ld", cols); cmp(nm, xi, y2, 1e-5, 1e-7);
    // cross-entropy
    std::vector<int32_t> lab(rows); for (auto& l : lab) l = rng() % cols;
    V x2 = rnd(m, -20, 20); x2[0] = 1000.0f;  // huge logit
    float l1 = 0, l2 = 0;
    jnn_cuda_softmax_cross_entropy_forward(0, x2.data(), lab.data(), y1.data(), rows, cols, &l1);
    jnn_softmax_cross_entropy_forward(x2.data(), 0, lab.data(), 0, y2.data(), 0, rows, cols, &l2, 0);
    snprintf(nm, 64, "sce probs cols=%ld", cols); cmp(nm, y1, y2, 1e-5, 1e-7);
    snprintf(nm, 64, "sce loss cols=%ld", cols); cmp(nm, V{l1}, V{l2}, 1e-6, 1e-6);
    V xa = x2; float l3 = 0; jnn_cuda_softmax_cross_entropy_forward(0, xa.data(), lab.data(), xa.data(), rows, cols, &l3);
    snprintf(nm, 64, "sce aliased cols=%ld", cols); cmp(nm, xa, y2, 1e-5, 1e-7); cmp(nm, V{l3}, V{l2}, 1e-6, 1e-6);
    y = y2;
    jnn_cuda_softmax_cross_entropy_backward(0, y.data(), lab.data(), d1.data(), rows, cols); jnn_softmax_cross_entropy_backward(y.data(), 0, lab.data(), 0, d2.data(), 0, rows, cols);
    snprintf(nm, 64, "sce backward cols=%ld", cols); cmp(nm, d1, d2);
    V o1(cols), o2(cols);
    jnn_cuda_sum_rows(0, x.data(), o1.data(), rows, cols); jnn_sum_rows(x.data(), 0, o2.data(), 0, rows, cols); snprintf(nm, 64, "sum_rows cols=%ld", cols); cmp(nm, o1, o2, 1e-6, 1e-6);
  }
  { V r = rnd(5000); V o1(70), o2(70); jnn_cuda_sum_rows(0, r.data(), o1.data(), 71, 70); jnn_sum_rows(r.data(), 0, o2.data(), 0, 71, 70); cmp("sum_rows 71x70", o1, o2, 1e-6, 1e-6);
    V c1(50000), c2(50000); V big = rnd(100000); jnn_cuda_sum_rows(0, big.data(), c1.data(), 2, 50000); jnn_sum_rows(big.data(), 0, c2.data(), 0, 2, 50000); cmp("sum_rows 2x50000", c1, c2, 1e-6, 1e-6);
    double s1 = -1, s2 = -2; jnn_cuda_sum_squares(0, r.data(), 5000, &s1); jnn_sum_squares(r.data(), 0, 5000, &s2, 0); cmp("sum_squares", V{(float)s1}, V{(float)s2}, 1e-7, 0);
    jnn_cuda_sum_squares(0, r.data(), 0, &s1); cmp("sum_squares n=0", V{(float)s1}, V{0.0f}); }
  { float l1, l2; V d1(n), d2(n);
    jnn_cuda_mse_forward(0, b.data(), t.data(), n, &l1); jnn_mse_forward(b.data(), 0, t.data(), 0, n, &l2, 0); cmp("mse_forward", V{l1}, V{l2}, 1e-7, 0);
    jnn_cuda_mse_backward(0, b.data(), t.data(), d1.data(), n); jnn_mse_backward(b.data(), 0, t.data(), 0, d2.data(), 0, n); cmp("mse_backward", d1, d2);
    V pp = p; pp[0] = 0; pp[1] = 1; V tt = t; tt[0] = 1; tt[1] = 0;
    jnn_cuda_bce_forward(0, pp.data(), tt.data(), n, &l1); jnn_bce_forward(pp.data(), 0, tt.data(), 0, n, &l2, 0); cmp("bce_forward", V{l1}, V{l2}, 1e-7, 0);
    jnn_cuda_bce_backward(0, pp.data(), tt.data(), d1.data(), n); jnn_bce_backward(pp.data(), 0, tt.data(), 0, d2.data(), 0, n); cmp("bce_backward", d1, d2);
    V z = rnd(n, -50, 50);
    jnn_cuda_bce_logits_forward(0, z.data(), t.data(), n, &l1); jnn_bce_logits_forward(z.data(), 0, t.data(), 0, n, &l2, 0); cmp("bce_logits_forward", V{l1}, V{l2}, 1e-7, 0);
    jnn_cuda_bce_logits_backward(0, z.data(), t.data(), d1.data(), n); jnn_bce_logits_backward(z.data(), 0, t.data(), 0, d2.data(), 0, n); cmp("bce_logits_backward", d1, d2, 1e-6, 1e-9); }
  { V y1(n), y2(n), m1(n), m2(n), d1(n), d2(n), dy = rnd(n);
    jnn_cuda_dropout_forward(0, a.data(), y1.data(), m1.data(), n, 0.3f, -77, 123456789012345LL); jnn_dropout_forward(a.data(), 0, y2.data(), 0, m2.data(), 0, n, 0.3f, -77, 123456789012345LL);
    cmp("dropout mask", m1, m2); cmp("dropout y", y1, y2);
    jnn_cuda_dropout_backward(0, dy.data(), m1.data(), d1.data(), n); jnn_dropout_backward(dy.data(), 0, m2.data(), 0, d2.data(), 0, n); cmp("dropout_backward", d1, d2); }
  { int64_t v = 11, d = 70, k = 300; std::vector<int32_t> ids(k); for (auto& i : ids) i = rng() % v; ids[5] = 3; ids[6] = 3;
    V w = rnd(v * d), o1(k * d), o2(k * d), g = rnd(k * d), dw1(v * d, 9), dw2(v * d, 9);
    jnn_cuda_embedding_forward(0, ids.data(), w.data(), o1.data(), k, d); jnn_embedding_forward(ids.data(), 0, w.data(), 0, o2.data(), 0, k, d); cmp("embedding_forward", o1, o2);
    for (int64_t pad : {-1, 3}) {
      jnn_cuda_embedding_backward(0, ids.data(), g.data(), dw1.data(), k, v, d, pad); jnn_embedding_backward(ids.data(), 0, g.data(), 0, dw2.data(), 0, k, v, d, pad);
      cmp(pad < 0 ? "embedding_backward" : "embedding_backward pad=3", dw1, dw2, 1e-5, 1e-5); } }
  { V g = rnd(n); V p0 = rnd(n);
    for (int variant = 0; variant < 4; variant++) {
      V p1 = p0, p2 = p0, v1 = rnd(n), v2 = v1; float mom = variant == 0 ? 0 : 0.9f; int nest = variant == 2; int64_t step = variant == 3 ? 1 : 5;
      jnn_cuda_sgd_update(0, p1.data(), g.data(), mom == 0 ? nullptr : v1.data(), n, 0.1f, mom, 0.1f, 0.01f, nest, step);
      jnn_sgd_update(p2.data(), 0, g.data(), 0, mom == 0 ? nullptr : v2.data(), 0, n, 0.1f, mom, 0.1f, 0.01f, nest, step);
      cmp("sgd param", p1, p2); cmp("sgd velocity", v1, v2); }
    V p1 = p0, p2 = p0, m1 = rnd(n), m2 = m1, s1 = rnd(n, 0, 1), s2 = s1;
    jnn_cuda_adam_update(0, p1.data(), g.data(), m1.data(), s1.data(), n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 7);
    jnn_adam_update(p2.data(), 0, g.data(), 0, m2.data(), 0, s2.data(), 0, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 7);
    cmp("adam param", p1, p2); cmp("adam m", m1, m2); cmp("adam v", s1, s2);
    jnn_cuda_adamw_update(0, p1.data(), g.data(), m1.data(), s1.data(), n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 8);
    jnn_adamw_update(p2.data(), 0, g.data(), 0, m2.data(), 0, s2.data(), 0, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 8);
    cmp("adamw param", p1, p2); cmp("adamw m", m1, m2); cmp("adamw v", s1, s2);
    jnn_cuda_rmsprop_update(0, p1.data(), g.data(), s1.data(), n, 1e-2f, 0.99f, 1e-8f, 0.01f);
    jnn_rmsprop_update(p2.data(), 0, g.data(), 0, s2.data(), 0, n, 1e-2f, 0.99f, 1e-8f, 0.01f);
    cmp("rmsprop param", p1, p2); cmp("rmsprop s", s1, s2);
    jnn_cuda_adagrad_update(0, p1.data(), g.data(), s1.data(), n, 1e-2f, 0.01f, 1e-10f, 0.01f, 3);
    jnn_adagrad_update(p2.data(), 0, g.data(), 0, s2.data(), 0, n, 1e-2f, 0.01f, 1e-10f, 0.01f, 3);
    cmp("adagrad param", p1, p2); cmp("adagrad sum", s1, s2); }
  struct G { int n, c, h, w, kh, kw, sh, sw, ph, pw; };
  for (G g : {G{2, 3, 6, 5, 3, 3, 2, 2, 1, 1}, G{1, 2, 8, 8, 2, 2, 2, 2, 0, 0}, G{2, 1, 7, 9, 3, 2, 1, 1, 1, 1}, G{1, 1, 5, 5, 2, 2, 2, 2, 0, 0}}) {
    int P = (g.h + 2 * g.ph - g.kh) / g.sh + 1, Q = (g.w + 2 * g.pw - g.kw) / g.sw + 1;
    int64_t nx = (int64_t)g.n * g.c * g.h * g.w, ny = (int64_t)g.n * g.c * P * Q;
    V x = rnd(nx), y1(ny), y2(ny), dy = rnd(ny), dx1(nx, 7), dx2(nx, 7); x[4] = NAN; x[5] = -INFINITY;
    for (int i = 20; i < 26 && i < nx; i++) x[i] = 1.0f;  // ties
    std::vector<int32_t> a1(ny), a2(ny);
#define GEO g.n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw
    jnn_cuda_maxpool2d_forward(0, x.data(), y1.data(), a1.data(), GEO); jnn_maxpool2d_forward(x.data(), 0, y2.data(), 0, a2.data(), 0, GEO);
    cmp("maxpool2d_forward", y1, y2); V af1(a1.begin(), a1.end()), af2(a2.begin(), a2.end()); cmp("maxpool2d argmax", af1, af2);
    jnn_cuda_maxpool2d_backward(0, dy.data(), a2.data(), dx1.data(), GEO); jnn_maxpool2d_backward(dy.data(), 0, a2.data(), 0, dx2.data(), 0, GEO); cmp("maxpool2d_backward", dx1, dx2);
    jnn_cuda_avgpool2d_forward(0, x.data(), y1.data(), GEO); jnn_avgpool2d_forward(x.data(), 0, y2.data(), 0, GEO); cmp("avgpool2d_forward", y1, y2);
    jnn_cuda_avgpool2d_backward(0, dy.data(), dx1.data(), GEO); jnn_avgpool2d_backward(dy.data(), 0, dx2.data(), 0, GEO); cmp("avgpool2d_backward", dx1, dx2);
    int64_t planes = (int64_t)g.n * g.c, hw = (int64_t)g.h * g.w; V gy1(planes), gy2(planes), gd = rnd(planes);
    jnn_cuda_global_avgpool2d_forward(0, x.data(), gy1.data(), planes, hw); jnn_global_avgpool2d_forward(x.data(), 0, gy2.data(), 0, planes, hw); cmp("global_avgpool2d_forward", gy1, gy2, 1e-6, 1e-7);
    jnn_cuda_global_avgpool2d_backward(0, gd.data(), dx1.data(), planes, hw); jnn_global_avgpool2d_backward(gd.data(), 0, dx2.data(), 0, planes, hw); cmp("global_avgpool2d_backward", dx1, dx2);
  }
  { int64_t rows = 13, cols = 300; V c = rnd(rows * cols), bias = rnd(cols), want = c;
    for (int64_t i = 0; i < rows; i++) for (int64_t j = 0; j < cols; j++) want[i * cols + j] += bias[j];
    jnn_cuda_bias_add(0, c.data(), bias.data(), rows, cols); cmp("bias_add", c, want);
    int64_t B = 3, T = 5, W = 7; V src = rnd(B * T * W), dst(B * T * W), wt(B * T * W);
    for (int64_t bi = 0; bi < B; bi++) for (int64_t ti = 0; ti < T; ti++) for (int64_t k = 0; k < W; k++) wt[(bi * T + (T - 1 - ti)) * W + k] = src[(bi * T + ti) * W + k];
    jnn_cuda_reverse_time(0, src.data(), dst.data(), B, T, W); cmp("reverse_time", dst, wt); }
  // layer norm: odd sizes, one column (rstd = 1/sqrt(eps)), rows past the 32 chunks of the backward's partial sums, a NaN row,
  // in place (y = x, dx = dy), no rows (dgamma = dbeta = 0)
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1}, {5, 7}, {70, 33}, {37, 300}, {3, 1}, {0, 5}}) {
    int64_t m = rows * cols; V x = rnd(m, -2, 4), g = rnd(cols, 0.5f, 1.5f), be = rnd(cols), dy = rnd(m);
    if (rows > 2 && cols > 1) x[2 * cols + 1] = NAN;  // row 2 becomes NaN
    V y1(m), y2(m), mu1(rows), mu2(rows), rs1(rows), rs2(rows); char nm[80];
    jnn_cuda_layernorm_forward(0, x.data(), g.data(), be.data(), 1e-5f, y1.data(), mu1.data(), rs1.data(), rows, cols);
    jnn_layernorm_forward(x.data(), 0, g.data(), 0, be.data(), 0, 1e-5f, y2.data(), 0, mu2.data(), 0, rs2.data(), 0, rows, cols);
    snprintf(nm, 80, "layernorm_forward y %ldx%ld", rows, cols); cmp(nm, y1, y2, 1e-6, 1e-6);
    snprintf(nm, 80, "layernorm_forward mean %ldx%ld", rows, cols); cmp(nm, mu1, mu2, 1e-7, 1e-7);
    snprintf(nm, 80, "layernorm_forward rstd %ldx%ld", rows, cols); cmp(nm, rs1, rs2, 1e-7, 0);
    V xi = x; jnn_cuda_layernorm_forward(0, xi.data(), g.data(), be.data(), 1e-5f, xi.data(), mu1.data(), rs1.data(), rows, cols);
    snprintf(nm, 80, "layernorm_forward in place %ldx%ld", rows, cols); cmp(nm, xi, y2, 1e-6, 1e-6);
    std::vector<double> partials(2 * JNN_CUDA_LAYERNORM_CHUNKS * cols, NAN);
    V dx1(m), dx2(m), dg1(cols, 9), dg2(cols, 9), db1(cols, 9), db2(cols, 9);
    jnn_cuda_layernorm_backward(0, x.data(), dy.data(), g.data(), mu2.data(), rs2.data(), dx1.data(), dg1.data(), db1.data(), partials.data(), rows, cols);
    jnn_layernorm_backward(x.data(), 0, dy.data(), 0, g.data(), 0, mu2.data(), 0, rs2.data(), 0, dx2.data(), 0, dg2.data(), 0, db2.data(), 0, rows, cols);
    snprintf(nm, 80, "layernorm_backward dx %ldx%ld", rows, cols); cmp(nm, dx1, dx2, 1e-5, 1e-6);
    snprintf(nm, 80, "layernorm_backward dgamma %ldx%ld", rows, cols); cmp(nm, dg1, dg2, 1e-6, 1e-6);
    snprintf(nm, 80, "layernorm_backward dbeta %ldx%ld", rows, cols); cmp(nm, db1, db2, 1e-6, 1e-6);
    V d = dy; jnn_cuda_layernorm_backward(0, x.data(), d.data(), g.data(), mu2.data(), rs2.data(), d.data(), dg1.data(), db1.data(), partials.data(), rows, cols);
    snprintf(nm, 80, "layernorm_backward dx = dy %ldx%ld", rows, cols); cmp(nm, d, dx2, 1e-5, 1e-6); cmp(nm, dg1, dg2, 1e-6, 1e-6); cmp(nm, db1, db2, 1e-6, 1e-6);
  }
  // masked softmax: key masks with padding at both ends and an all-padding batch, causal on and off, one query, one key,
  // tk past a warp, negative and zero scale, NaN and -inf scores, in place
  struct A { int64_t b, h, tq, tk; };
  for (A s : {A{3, 2, 5, 7}, A{2, 1, 1, 40}, A{1, 3, 4, 1}, A{2, 2, 37, 37}}) {
    int64_t m = s.b * s.h * s.tq * s.tk; V x = rnd(m, -20, 20), mask(s.b * s.tk, 1.0f);
    for (int64_t j = 0; j < s.tk; j++) if (j < 1 || j >= s.tk - 2) mask[j] = 0.0f;      // batch 0: padding at both ends
    if (s.b > 1) for (int64_t j = 0; j < s.tk; j++) mask[(s.b - 1) * s.tk + j] = 0.0f;  // last batch: every key padding
    if (m > 2 * s.tk + 1) { x[s.tk + 1] = NAN; x[2 * s.tk] = -INFINITY; x[2 * s.tk + 1] = 1e4f; }
    for (int causal = 0; causal < 2; causal++)
      for (float scale : {0.125f, 1.0f, -0.5f, 0.0f})
        for (int masked = 0; masked < 2; masked++) {
          V y1(m, 7), y2(m, 7); char nm[96]; const float* km = masked ? mask.data() : nullptr;
          jnn_cuda_masked_softmax_forward(0, x.data(), km, causal, scale, y1.data(), s.b, s.h, s.tq, s.tk);
          jnn_masked_softmax_forward(x.data(), 0, km, 0, causal, scale, y2.data(), 0, s.b, s.h, s.tq, s.tk);
          snprintf(nm, 96, "masked_softmax_forward %ldx%ldx%ldx%ld causal=%d scale=%g mask=%d", s.b, s.h, s.tq, s.tk, causal, scale, masked);
          cmp(nm, y1, y2, 1e-5, 1e-7);
          V xi = x; jnn_cuda_masked_softmax_forward(0, xi.data(), km, causal, scale, xi.data(), s.b, s.h, s.tq, s.tk);
          snprintf(nm, 96, "masked_softmax_forward in place %ldx%ldx%ldx%ld causal=%d scale=%g mask=%d", s.b, s.h, s.tq, s.tk, causal, scale, masked);
          cmp(nm, xi, y2, 1e-5, 1e-7);
        }
  }
  printf("%d checks, %d failures, %ld emulated launches\n", checks, failures, (long)jnn_cuda::launches);
  return failures != 0;
}
