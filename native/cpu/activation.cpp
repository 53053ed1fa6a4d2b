// activation.cpp - elementwise activations, forward and backward side by side.
//
// Forward: y = f(x). Backward writes dx = dy * f'(.), from x (relu, leaky_relu, gelu) or from the
// forward output y (sigmoid, tanh). All tensors hold n contiguous floats; y may alias x and dx may
// alias dy (in-place). NaN propagates everywhere, relu included (PyTorch: relu(NaN) = NaN).
//
// All loops vectorize: exp_approx (common.h), tanh_approx and gauss_cdf below replace libm
// (max errors against double: sigmoid 2.7 ulp, tanh 1.4 ulp, gelu a few 1e-7 relative).
#include <cmath>

#include "common.h"

using namespace jnn;

namespace {

// tanh(x) in float, vectorizable: for |x| < 0.625 Cephes' odd minimax polynomial, else
// 1 - 2/(exp(2|x|) + 1); the sign of x is put back last (so tanh(-0) = -0). Max 1.4 ulp against
// double tanh over all floats; tanh(NaN) = NaN, tanh(+-inf) = +-1.
inline float tanh_approx(float x) {
  const float ax = std::fabs(x);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * ax + ax;
  const float big = 1.0f - 2.0f / (exp_approx(2.0f * ax) + 1.0f);
  return std::copysign(ax < 0.625f ? small : big, x);
}

// ---- relu: y = x < 0 ? 0 : x (so NaN stays NaN) ----------------------------------------------------------------

JNN_CLONES void relu_forward_kernel(const float* x, float* y, int64_t len) {
  for (int64_t i = 0; i < len; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

JNN_CLONES void relu_backward_kernel(const float* x, const float* dy, float* dx, int64_t len) {
  for (int64_t i = 0; i < len; i++) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

// ---- leaky relu: y = x > 0 ? x : slope * x -------------------------------------------------

JNN_CLONES void leaky_relu_forward_kernel(const float* x, float* y, int64_t len, float slope) {
  for (int64_t i = 0; i < len; i++) y[i] = x[i] > 0.0f ? x[i] : slope * x[i];
}

JNN_CLONES void leaky_relu_backward_kernel(const float* x, const float* dy, float* dx, int64_t len, float slope) {
  for (int64_t i = 0; i < len; i++) dx[i] = x[i] > 0.0f ? dy[i] : slope * dy[i];
}

// ---- sigmoid: y = 1 / (1 + exp(-x)), stable: with e = exp(-|x|), y = 1/(1+e) for x >= 0 and
// e/(1+e) for x < 0, so exp never overflows. Backward from y: dx = dy * y * (1 - y). -----------

JNN_CLONES void sigmoid_forward_kernel(const float* x, float* y, int64_t len) {
  for (int64_t i = 0; i < len; i++) {
    const float e = exp_approx(-std::fabs(x[i]));
    const float inv = 1.0f / (1.0f + e);
    y[i] = x[i] >= 0.0f ? inv : e * inv;
  }
}

JNN_CLONES void sigmoid_backward_kernel(const float* y, const float* dy, float* dx, int64_t len) {
  for (int64_t i = 0; i < len; i++) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}

// ---- tanh: backward from y: dx = dy * (1 - y^2) -------------------------------------------

JNN_CLONES void tanh_forward_kernel(const float* x, float* y, int64_t len) {
  for (int64_t i = 0; i < len; i++) y[i] = tanh_approx(x[i]);
}

JNN_CLONES void tanh_backward_kernel(const float* y, const float* dy, float* dx, int64_t len) {
  for (int64_t i = 0; i < len; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

// ---- gelu (exact): y = x * Phi(x), Phi(x) = 0.5 * (1 + erf(x/sqrt2)) = 0.5 * erfc(-x/sqrt2).
// Backward: dx = dy * (Phi(x) + x * phi(x)), phi(x) = exp(-x^2/2) / sqrt(2 pi).
//
// Vectorizable, accurate to a few 1e-7 relative, tails included:
//  - erfc(z) for z = |x|/sqrt2 >= 0 is exp(-z^2) * t * Q(t), t = 1/(1 + z/2): t * Q(t) is the
//    scaled function erfcx(z) = exp(z^2) erfc(z), smooth in t on (0, 1]. Q is our degree-8
//    polynomial, a weighted least-squares (Lawson) fit of erfcx(z)/t over z in [0, 10] in double:
//    relative error 4.3e-8 there; in float, Phi is within 4.6e-7 relative of the double value
//    wherever Phi > 1e-30 (checked against scipy's erfc on 3M points, x in [-14, 14]). Beyond
//    z = 10 (x < -14) Phi < 1e-44 underflows anyway. One exp per element: the earlier form,
//    t exp(-z^2 + P(t)) (Numerical Recipes' erfcc), needed a second exp and was 1.4x slower.
//    Phi(x) = erfc(z)/2 for x < 0 and 1 - erfc(z)/2 otherwise (no cancellation in 1 + erf).
//  - exp(-z^2) = exp(-x^2/2) is evaluated from x^2 split exactly into hi + lo with an FMA: the
//    float rounding of x^2 alone would cost x^2/2 * 2^-24 relative error (4e-6 at x = -8).

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

// Sets e = exp(-x^2/2) and cdf = Phi(x).
inline void gauss_cdf(float x, float& e, float& cdf) {
  const float hi = x * x;
  float lo = std::fma(x, x, -hi);      // x^2 = hi + lo exactly
  lo = hi < INFINITY ? lo : 0.0f;       // |x| = inf or x^2 overflow: fma gives NaN, exp(-hi) is 0 anyway
  e = exp_approx(-0.5f * hi);
  e = e - 0.5f * lo * e;                // * exp(-lo/2), |lo/2| <= 2^-25 x^2: first order is exact enough
  const float z = std::fabs(x) * kInvSqrt2;
  const float t = 1.0f / (1.0f + 0.5f * z);
  float q = -5.907525495e-02f;          // Q(t), Horner, highest degree first
  q = q * t + 2.846016884e-01f;
  q = q * t - 4.872469604e-01f;
  q = q * t + 2.781116366e-01f;
  q = q * t - 2.664998546e-02f;
  q = q * t + 2.026945651e-01f;
  q = q * t + 2.431024313e-01f;
  q = q * t + 2.823754251e-01f;
  q = q * t + 2.820864022e-01f;
  const float half_erfc = 0.5f * e * t * q;
  cdf = x < 0.0f ? half_erfc : 1.0f - half_erfc;
}

JNN_CLONES void gelu_forward_kernel(const float* x, float* y, int64_t len) {
  for (int64_t i = 0; i < len; i++) {
    float e, cdf;
    gauss_cdf(x[i], e, cdf);
    y[i] = x[i] * cdf;
  }
}

JNN_CLONES void gelu_backward_kernel(const float* x, const float* dy, float* dx, int64_t len) {
  for (int64_t i = 0; i < len; i++) {
    float e, cdf;
    gauss_cdf(x[i], e, cdf);
    dx[i] = dy[i] * (cdf + x[i] * (e * kInvSqrt2Pi));
  }
}

}  // namespace

extern "C" {

int jnn_relu_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t n) {
  return guarded("relu_forward", [&] {
    x += x_off; y += y_off;
    parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { relu_forward_kernel(x + lo, y + lo, hi - lo); });
  });
}

int jnn_relu_backward(const float* x, int64_t x_off, const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t n) {
  return guarded("relu_backward", [&] {
    x += x_off; dy += dy_off; dx += dx_off;
    parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { relu_backward_kernel(x + lo, dy + lo, dx + lo, hi - lo); });
  });
}

int jnn_leaky_relu_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t n, float slope) {
  return guarded("leaky_relu_forward", [&] {
    x += x_off; y += y_off;
    parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { leaky_relu_forward_kernel(x + lo, y + lo, hi - lo, slope); });
  });
}

int jnn_leaky_relu_backward(const float* x, int64_t x_off, const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t n, float slope) {
  return guarded("leaky_relu_backward", [&] {
    x += x_off; dy += dy_off; dx += dx_off;
    parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { leaky_relu_backward_kernel(x + lo, dy + lo, dx + lo, hi - lo, slope); });
  });
}

int jnn_sigmoid_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t n) {
  return guarded("sigmoid_forward", [&] {
    x += x_off; y += y_off;
    parallel_for(n, kGrainHeavy, 16, [&](int64_t lo, int64_t hi) { sigmoid_forward_kernel(x + lo, y + lo, hi - lo); });
  });
}

int jnn_sigmoid_backward(const float* y, int64_t y_off, const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t n) {
  return guarded("sigmoid_backward", [&] {
    y += y_off; dy += dy_off; dx += dx_off;
    parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { sigmoid_backward_kernel(y + lo, dy + lo, dx + lo, hi - lo); });
  });
}

int jnn_tanh_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t n) {
  return guarded("tanh_forward", [&] {
    x += x_off; y += y_off;
    parallel_for(n, kGrainHeavy, 16, [&](int64_t lo, int64_t hi) { tanh_forward_kernel(x + lo, y + lo, hi - lo); });
  });
}

int jnn_tanh_backward(const float* y, int64_t y_off, const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t n) {
  return guarded("tanh_backward", [&] {
    y += y_off; dy += dy_off; dx += dx_off;
    parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { tanh_backward_kernel(y + lo, dy + lo, dx + lo, hi - lo); });
  });
}

int jnn_gelu_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t n) {
  return guarded("gelu_forward", [&] {
    x += x_off; y += y_off;
    parallel_for(n, kGrainHeavy, 16, [&](int64_t lo, int64_t hi) { gelu_forward_kernel(x + lo, y + lo, hi - lo); });
  });
}

int jnn_gelu_backward(const float* x, int64_t x_off, const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t n) {
  return guarded("gelu_backward", [&] {
    x += x_off; dy += dy_off; dx += dx_off;
    parallel_for(n, kGrainHeavy, 16, [&](int64_t lo, int64_t hi) { gelu_backward_kernel(x + lo, dy + lo, dx + lo, hi - lo); });
  });
}

}  // extern "C"
