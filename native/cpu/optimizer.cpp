// optimizer.cpp - fused in-place parameter updates, PyTorch's formulas (torch.optim, single-tensor
// path). One call updates one parameter tensor of n floats; state tensors (velocity, m, v, ...)
// have the same n. step counts from 1; scalar factors (bias corrections, decayed lr) are computed
// once per call in double and cast to float. sqrt and division make adam, rmsprop and adagrad
// compute-bound (~0.8 ns per element), so they go parallel at kGrainHeavy.
#include <cmath>

#include "common.h"

using namespace jnn;

namespace {

// ---- sgd: g = grad + wd p; with momentum: buf = step == 1 ? g : momentum buf + (1 - dampening) g,
// g = nesterov ? g + momentum buf : buf; p -= lr g ------------------------------------------

JNN_CLONES void sgd_kernel(float* p, const float* grad, int64_t len, float lr, float wd) {
  for (int64_t i = 0; i < len; i++) p[i] -= lr * (grad[i] + wd * p[i]);
}

JNN_CLONES void sgd_momentum_kernel(float* p, const float* grad, float* buf, int64_t len, float lr, float momentum,
                                    float dampening, float wd, int nesterov, int first_step) {
  for (int64_t i = 0; i < len; i++) {
    const float g = grad[i] + wd * p[i];
    const float b = first_step ? g : momentum * buf[i] + (1.0f - dampening) * g;
    buf[i] = b;
    p[i] -= lr * (nesterov ? g + momentum * b : b);
  }
}

// ---- adam / adamw: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps). adam: g = grad + wd p (L2).
// adamw: p *= 1 - lr wd first (decoupled), then g = grad. -----------------------------------

JNN_CLONES void adam_kernel(float* p, const float* grad, float* m, float* v, int64_t len, float beta1, float beta2,
                            float eps, float l2, float decay, float step_size, float bc2_sqrt) {
  for (int64_t i = 0; i < len; i++) {
    const float pi = p[i] * decay;
    const float g = grad[i] + l2 * pi;
    const float mi = beta1 * m[i] + (1.0f - beta1) * g;
    const float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - step_size * (mi / (std::sqrt(vi) / bc2_sqrt + eps));
  }
}

// ---- rmsprop: g = grad + wd p; s = alpha s + (1 - alpha) g^2; p -= lr g / (sqrt(s) + eps) ----

JNN_CLONES void rmsprop_kernel(float* p, const float* grad, float* s, int64_t len, float lr, float alpha, float eps, float wd) {
  for (int64_t i = 0; i < len; i++) {
    const float g = grad[i] + wd * p[i];
    const float si = alpha * s[i] + (1.0f - alpha) * g * g;
    s[i] = si;
    p[i] -= lr * (g / (std::sqrt(si) + eps));
  }
}

// ---- adagrad: g = grad + wd p; s += g^2; p -= clr g / (sqrt(s) + eps),
// clr = lr / (1 + (step - 1) lr_decay) ------------------------------------------------------

JNN_CLONES void adagrad_kernel(float* p, const float* grad, float* s, int64_t len, float clr, float eps, float wd) {
  for (int64_t i = 0; i < len; i++) {
    const float g = grad[i] + wd * p[i];
    const float si = s[i] + g * g;
    s[i] = si;
    p[i] -= clr * (g / (std::sqrt(si) + eps));
  }
}

// Shared by adam and adamw: l2 is the weight decay added to the gradient, decay the factor p is
// multiplied by first (1 for adam).
void adam_update(float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1, float beta2,
                 float eps, float l2, float decay, int64_t step) {
  const double bc1 = 1.0 - std::pow((double)beta1, (double)step);
  const double bc2 = 1.0 - std::pow((double)beta2, (double)step);
  const float step_size = (float)(lr / bc1);
  const float bc2_sqrt = (float)std::sqrt(bc2);
  parallel_for(n, kGrainHeavy, 16, [&](int64_t lo, int64_t hi) {
    adam_kernel(param + lo, grad + lo, m + lo, v + lo, hi - lo, beta1, beta2, eps, l2, decay, step_size, bc2_sqrt);
  });
}

}  // namespace

extern "C" {

int jnn_sgd_update(float* param, int64_t param_off, const float* grad, int64_t grad_off, float* velocity, int64_t velocity_off,
                   int64_t n, float lr, float momentum, float dampening, float weight_decay, int nesterov, int64_t step) {
  return guarded("sgd_update", [&] {
    param += param_off; grad += grad_off;
    if (momentum == 0.0f) {  // plain SGD: velocity is neither read nor written (may be NULL)
      parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) { sgd_kernel(param + lo, grad + lo, hi - lo, lr, weight_decay); });
      return;
    }
    velocity += velocity_off;
    const int first_step = step == 1;
    parallel_for(n, kGrainCheap, 16, [&](int64_t lo, int64_t hi) {
      sgd_momentum_kernel(param + lo, grad + lo, velocity + lo, hi - lo, lr, momentum, dampening, weight_decay, nesterov, first_step);
    });
  });
}

int jnn_adam_update(float* param, int64_t param_off, const float* grad, int64_t grad_off, float* m, int64_t m_off, float* v, int64_t v_off,
                    int64_t n, float lr, float beta1, float beta2, float eps, float weight_decay, int64_t step) {
  return guarded("adam_update", [&] {
    adam_update(param + param_off, grad + grad_off, m + m_off, v + v_off, n, lr, beta1, beta2, eps, weight_decay, 1.0f, step);
  });
}

int jnn_adamw_update(float* param, int64_t param_off, const float* grad, int64_t grad_off, float* m, int64_t m_off, float* v, int64_t v_off,
                     int64_t n, float lr, float beta1, float beta2, float eps, float weight_decay, int64_t step) {
  return guarded("adamw_update", [&] {
    const float decay = (float)(1.0 - (double)lr * weight_decay);
    adam_update(param + param_off, grad + grad_off, m + m_off, v + v_off, n, lr, beta1, beta2, eps, 0.0f, decay, step);
  });
}

int jnn_rmsprop_update(float* param, int64_t param_off, const float* grad, int64_t grad_off, float* square_avg, int64_t square_avg_off,
                       int64_t n, float lr, float alpha, float eps, float weight_decay) {
  return guarded("rmsprop_update", [&] {
    param += param_off; grad += grad_off; square_avg += square_avg_off;
    parallel_for(n, kGrainHeavy, 16, [&](int64_t lo, int64_t hi) {
      rmsprop_kernel(param + lo, grad + lo, square_avg + lo, hi - lo, lr, alpha, eps, weight_decay);
    });
  });
}

int jnn_adagrad_update(float* param, int64_t param_off, const float* grad, int64_t grad_off, float* sum, int64_t sum_off,
                       int64_t n, float lr, float lr_decay, float eps, float weight_decay, int64_t step) {
  return guarded("adagrad_update", [&] {
    param += param_off; grad += grad_off; sum += sum_off;
    const float clr = (float)((double)lr / (1.0 + (double)(step - 1) * lr_decay));
    parallel_for(n, kGrainHeavy, 16, [&](int64_t lo, int64_t hi) { adagrad_kernel(param + lo, grad + lo, sum + lo, hi - lo, clr, eps, weight_decay); });
  });
}

}  // extern "C"
