/*
 * jnn_cpu.h - the C API of jnn's native CPU kernels (library jnn_cpu).
 *
 * This is the only header JavaCPP binds (dev.jnn.backend.cpu.JnnCpu). It is flat C on purpose:
 * plain pointers, 64-bit sizes, floats and ints; no C++ types cross the boundary.
 *
 * Memory model (docs/ARCHITECTURE.md, "Memory"): a host tensor is a Java float[] plus an element offset.
 * Java passes the array itself (JNI critical region, no copy) and the offset, so every tensor
 * argument is a pair (ptr, ptr_off). All matrices are row-major and contiguous.
 *
 * Naming: jnn_<kernel> here, Backend.<kernelInCamelCase> in Java (jnn_relu_forward is
 * Backend.reluForward) and <kernel> in native/cuda/<family>.cu, so one parity test covers all.
 *
 * Inputs are validated in Java before any call (dev.jnn.backend.Backend); the kernels trust
 * shapes and sizes. Every function returns JNN_OK or an error code; jnn_last_error() gives the
 * message of the last failure on the calling thread.
 */
#ifndef JNN_CPU_H
#define JNN_CPU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JNN_OK 0
#define JNN_ERR_ALLOC 1
#define JNN_ERR_INTERNAL 2

/* ---- library ----------------------------------------------------------------------------- */
const char* jnn_last_error(void);      /* message of the last failure on this thread, "" if none */
const char* jnn_version(void);         /* jnn_cpu version string */
const char* jnn_build_info(void);      /* compiler, flags, OpenMP, OpenBLAS config, oneDNN version */
const char* jnn_cpu_dispatch(void);    /* which SIMD path runtime dispatch picked ("x86-64-v3", "x86-64-v4", "default") */
int jnn_num_threads(void);             /* threads of jnn's own parallel loops and of oneDNN (one OpenMP runtime), process-wide */
int jnn_blas_num_threads(void);        /* OpenBLAS threads */
void jnn_set_num_threads(int n);       /* sets jnn's (and so oneDNN's) and OpenBLAS's thread counts */
int64_t jnn_native_calls(void);        /* total kernel calls so far: lets tests prove native code ran */
/* jnn's own AVX-512 kernels (the LSTM/GRU packed-panel product, the 9-tap direct convolution, the
 * small-plane im2col gather): on where the CPU has AVX-512F. jnn_cpu_set_avx512(0) runs the
 * portable code beside each of them instead (what a CPU without AVX-512 runs), so tests check
 * both; it returns the previous setting, and 1 cannot turn them on without AVX-512. Process-wide,
 * read once per kernel call; not kernels (not counted). The JNN_CLONES dispatch is unaffected. */
int jnn_cpu_set_avx512(int on);
int jnn_cpu_avx512(void);

/* ---- gemm.cpp ---------------------------------------------------------------------------- */
/* c is (m,n). op(a) is (m,k): a is stored (m,k), or (k,m) when trans_a. op(b) is (k,n): b is
 * stored (k,n), or (n,k) when trans_b.  c = alpha * op(a) op(b) + beta * c + bias, where bias
 * (length n, broadcast over rows) may be NULL. */
int jnn_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
             const float* a, int64_t a_off, const float* b, int64_t b_off, float beta,
             float* c, int64_t c_off, const float* bias, int64_t bias_off);

/* Batched GEMM (dev.jnn.backend.BatchedGemm): for p in [0, batch), C_p = alpha op(A_p) op(B_p) +
 * beta C_p, row-major, op(A_p) (m,k), op(B_p) (k,n), C_p (m,n). Matrix p of A starts at
 * a + a_off + p * stride_a, its rows lda floats apart (A_p stored (m,k), or (k,m) when trans_a);
 * likewise B and C. The C matrices must not overlap a or b; beta == 0 never reads C. */
int jnn_gemm_batched(int trans_a, int trans_b, int64_t batch, int64_t m, int64_t n, int64_t k, float alpha,
                     const float* a, int64_t a_off, int64_t lda, int64_t stride_a,
                     const float* b, int64_t b_off, int64_t ldb, int64_t stride_b, float beta,
                     float* c, int64_t c_off, int64_t ldc, int64_t stride_c);

/* ---- layernorm.cpp ----------------------------------------------------------------------- */
/* Layer norm over the last axis: x, y, dy, dx are (rows, cols), gamma, beta, dgamma, dbeta (cols),
 * mean, rstd (rows). Forward: y = (x - mean) rstd gamma + beta with the biased variance,
 * rstd = 1 / sqrt(var + eps), statistics in double. Backward (llm.c's one pass per row):
 * dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy gamma, xhat = (x - mean) rstd;
 * dgamma = sum_rows dy xhat, dbeta = sum_rows dy, written (not accumulated), summed in double over
 * fixed row blocks (the same result for any thread count). y may be x; dx may be x or dy. */
int jnn_layernorm_forward(const float* x, int64_t x_off, const float* gamma, int64_t gamma_off, const float* beta, int64_t beta_off,
                          float eps, float* y, int64_t y_off, float* mean, int64_t mean_off, float* rstd, int64_t rstd_off,
                          int64_t rows, int64_t cols);
int jnn_layernorm_backward(const float* x, int64_t x_off, const float* dy, int64_t dy_off, const float* gamma, int64_t gamma_off,
                           const float* mean, int64_t mean_off, const float* rstd, int64_t rstd_off, float* dx, int64_t dx_off,
                           float* dgamma, int64_t dgamma_off, float* dbeta, int64_t dbeta_off, int64_t rows, int64_t cols);

/* ---- attention.cpp ----------------------------------------------------------------------- */
/* Attention probabilities: x, y are (batch, heads, tq, tk); y = softmax(scale x) over the last
 * axis, where key j of batch b is left out (probability 0) when key_mask[b, j] == 0 (key_mask
 * (batch, tk), NULL: none) or, when causal != 0, when j > i (query i). A row with every key left
 * out is zeros. Stable (the row maximum is subtracted). y may be x. */
int jnn_masked_softmax_forward(const float* x, int64_t x_off, const float* key_mask, int64_t key_mask_off, int causal, float scale,
                               float* y, int64_t y_off, int64_t batch, int64_t heads, int64_t tq, int64_t tk);

/* ---- elementwise.cpp --------------------------------------------------------------------- */
int jnn_add(const float* a, int64_t a_off, const float* b, int64_t b_off, float* out, int64_t out_off, int64_t n);  /* out = a + b */
int jnn_mul(const float* a, int64_t a_off, const float* b, int64_t b_off, float* out, int64_t out_off, int64_t n);  /* out = a * b */
int jnn_scale(const float* x, int64_t x_off, float alpha, float* out, int64_t out_off, int64_t n);                  /* out = alpha * x */
int jnn_axpy(float alpha, const float* x, int64_t x_off, float* y, int64_t y_off, int64_t n);                       /* y += alpha * x */
int jnn_fill(float* x, int64_t x_off, float value, int64_t n);
int jnn_copy(const float* src, int64_t src_off, float* dst, int64_t dst_off, int64_t n);

/* ---- activation.cpp ---------------------------------------------------------------------- */
/* Forward: y = f(x). Backward: dx = dy * f'(.) computed from x (relu, leaky_relu, gelu) or from
 * the forward output y (sigmoid, tanh). GELU is the exact erf form (PyTorch's default). */
int jnn_relu_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t n);
int jnn_relu_backward(const float* x, int64_t x_off, const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t n);
int jnn_leaky_relu_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t n, float slope);
int jnn_leaky_relu_backward(const float* x, int64_t x_off, const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t n, float slope);
int jnn_sigmoid_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t n);
int jnn_sigmoid_backward(const float* y, int64_t y_off, const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t n);
int jnn_tanh_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t n);
int jnn_tanh_backward(const float* y, int64_t y_off, const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t n);
int jnn_gelu_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t n);
int jnn_gelu_backward(const float* x, int64_t x_off, const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t n);

/* ---- softmax.cpp ------------------------------------------------------------------------- */
/* x, y, dy, dx are (rows, cols); softmax over each row. Backward takes the forward output y. */
int jnn_softmax_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t rows, int64_t cols);
int jnn_softmax_backward(const float* y, int64_t y_off, const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t rows, int64_t cols);
int jnn_log_softmax_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t rows, int64_t cols);
int jnn_log_softmax_backward(const float* y, int64_t y_off, const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t rows, int64_t cols);

/* ---- loss.cpp ---------------------------------------------------------------------------- */
/* All losses are means over their n elements (or rows); *loss receives the value (loss[loss_off]).
 * Backward writes the gradient of that mean. */
int jnn_mse_forward(const float* pred, int64_t pred_off, const float* target, int64_t target_off, int64_t n, float* loss, int64_t loss_off);
int jnn_mse_backward(const float* pred, int64_t pred_off, const float* target, int64_t target_off, float* dpred, int64_t dpred_off, int64_t n);
/* Binary cross-entropy on probabilities p in [0,1]: log terms clamped at -100 as in PyTorch. */
int jnn_bce_forward(const float* p, int64_t p_off, const float* target, int64_t target_off, int64_t n, float* loss, int64_t loss_off);
int jnn_bce_backward(const float* p, int64_t p_off, const float* target, int64_t target_off, float* dp, int64_t dp_off, int64_t n);
/* Binary cross-entropy on logits z: max(z,0) - z*t + log1p(exp(-|z|)), stable for any z. */
int jnn_bce_logits_forward(const float* z, int64_t z_off, const float* target, int64_t target_off, int64_t n, float* loss, int64_t loss_off);
int jnn_bce_logits_backward(const float* z, int64_t z_off, const float* target, int64_t target_off, float* dz, int64_t dz_off, int64_t n);
/* Softmax cross-entropy with integer class labels (rows labels in [0, cols)): one fused, stable
 * pass writes probs (rows, cols) for the backward and the mean loss. Labels index memory, so they
 * are checked here too: one outside [0, cols) gives JNN_ERR_INTERNAL and writes nothing. */
int jnn_softmax_cross_entropy_forward(const float* logits, int64_t logits_off, const int32_t* labels, int64_t labels_off,
                                      float* probs, int64_t probs_off, int64_t rows, int64_t cols, float* loss, int64_t loss_off);
int jnn_softmax_cross_entropy_backward(const float* probs, int64_t probs_off, const int32_t* labels, int64_t labels_off,
                                       float* dlogits, int64_t dlogits_off, int64_t rows, int64_t cols);

/* ---- reduce.cpp -------------------------------------------------------------------------- */
int jnn_sum_rows(const float* x, int64_t x_off, float* out, int64_t out_off, int64_t rows, int64_t cols);   /* out[j] = sum_i x[i,j] (bias gradients) */
int jnn_sum_squares(const float* x, int64_t x_off, int64_t n, double* out, int64_t out_off);                /* out = sum x^2, accumulated in double */

/* ---- dropout.cpp ------------------------------------------------------------------------- */
/* Inverted dropout with a counter-based RNG: element i is kept iff jnn_uniform(seed, counter + i) >= p,
 * so Java, C++ and CUDA draw the same mask. mask[i] is 1/(1-p) when kept, 0 otherwise; y = x * mask. */
int jnn_dropout_forward(const float* x, int64_t x_off, float* y, int64_t y_off, float* mask, int64_t mask_off, int64_t n,
                        float p, int64_t seed, int64_t counter);
int jnn_dropout_backward(const float* dy, int64_t dy_off, const float* mask, int64_t mask_off, float* dx, int64_t dx_off, int64_t n);

/* ---- optimizer.cpp ----------------------------------------------------------------------- */
/* Fused in-place updates of one parameter tensor of n elements, PyTorch's formulas. step counts
 * from 1. weight_decay is L2 (added to the gradient) except in AdamW, where it is decoupled. */
int jnn_sgd_update(float* param, int64_t param_off, const float* grad, int64_t grad_off, float* velocity, int64_t velocity_off,
                   int64_t n, float lr, float momentum, float dampening, float weight_decay, int nesterov, int64_t step);
int jnn_adam_update(float* param, int64_t param_off, const float* grad, int64_t grad_off, float* m, int64_t m_off, float* v, int64_t v_off,
                    int64_t n, float lr, float beta1, float beta2, float eps, float weight_decay, int64_t step);
int jnn_adamw_update(float* param, int64_t param_off, const float* grad, int64_t grad_off, float* m, int64_t m_off, float* v, int64_t v_off,
                     int64_t n, float lr, float beta1, float beta2, float eps, float weight_decay, int64_t step);
int jnn_rmsprop_update(float* param, int64_t param_off, const float* grad, int64_t grad_off, float* square_avg, int64_t square_avg_off,
                       int64_t n, float lr, float alpha, float eps, float weight_decay);
int jnn_adagrad_update(float* param, int64_t param_off, const float* grad, int64_t grad_off, float* sum, int64_t sum_off,
                       int64_t n, float lr, float lr_decay, float eps, float weight_decay, int64_t step);

/* ---- conv.cpp ---------------------------------------------------------------------------- */
/* 2-D convolution, NCHW, groups = 1 (PyTorch's conv2d). Geometry, as Conv2dGeometry in Java:
 *   x (n, c, h, w), wt (k, c, r, s), y (n, k, p, q) with
 *   p = (h + 2 pad_h - dil_h (r - 1) - 1) / stride_h + 1, q likewise.
 * ws is scratch of ws_size floats, at least jnn_conv2d_workspace_size(...) of the same geometry;
 * the kernels use all of it that helps (samples are processed in chunks that fit). bias / dbias
 * (length k) may be NULL. Backward kernels write (do not accumulate) dx, dw, dbias. */
#define JNN_CONV2D_GEOMETRY int n, int c, int h, int w, int k, int r, int s, int stride_h, int stride_w, \
                            int pad_h, int pad_w, int dil_h, int dil_w
int64_t jnn_conv2d_workspace_size(JNN_CONV2D_GEOMETRY);  /* floats; a pure function, not a kernel (not counted) */
int jnn_conv2d_forward(const float* x, int64_t x_off, const float* wt, int64_t wt_off, const float* bias, int64_t bias_off,
                       float* y, int64_t y_off, float* ws, int64_t ws_off, int64_t ws_size, JNN_CONV2D_GEOMETRY);
int jnn_conv2d_backward_data(const float* dy, int64_t dy_off, const float* wt, int64_t wt_off, float* dx, int64_t dx_off,
                             float* ws, int64_t ws_off, int64_t ws_size, JNN_CONV2D_GEOMETRY);
int jnn_conv2d_backward_filter(const float* x, int64_t x_off, const float* dy, int64_t dy_off, float* dw, int64_t dw_off,
                               float* dbias, int64_t dbias_off, float* ws, int64_t ws_off, int64_t ws_size, JNN_CONV2D_GEOMETRY);

/* Which code runs the three conv2d kernels (conv_dnnl.cpp). AUTO (the default): oneDNN's
 * convolutions wherever its supports() predicate holds (every geometry except where oneDNN offers
 * only its reference kernels) and jnn's own kernel is not measured faster (stats below, i = 1),
 * else the im2col + sgemm kernels, counted as a fallback; in strict
 * mode (jnn_conv2d_set_strict(1)) such a fallback is an error instead. IM2COL: always the im2col
 * kernels (an explicit choice, not a fallback). Process-wide; not kernels (not counted). The
 * workspace (jnn_conv2d_workspace_size) is what the im2col kernels need; oneDNN does not use it. */
#define JNN_CONV_IMPL_AUTO 0
#define JNN_CONV_IMPL_IM2COL 1
int jnn_conv2d_set_impl(int impl);       /* returns the previous policy, or -1 (nothing changed) for an unknown value */
int jnn_conv2d_get_impl(void);
void jnn_conv2d_set_strict(int strict);
/* Nine counts since load: out[3 dir + i], dir 0 forward, 1 backward data, 2 backward filter;
 * i 0: ran on oneDNN, 1: a jnn kernel by choice (IM2COL; or AUTO's measured choices: the direct
 * forward for 9 input taps C*R*S (one channel, 3x3) at stride 1 on AVX-512, im2col for backward filter on
 * output planes of at most 9 elements), 2: im2col as a fallback. */
int jnn_conv2d_stats(int64_t* out, int64_t out_off);
int jnn_conv2d_last_threads(void);       /* OpenMP threads of the calling thread's last oneDNN convolution (0: none yet) */
/* What would run direction dir (0, 1, 2 as above; with bias for 0 and 2) of this geometry:
 * "oneDNN jit:avx512_core", "im2col (...)" or "error: ..." (valid until the thread's next call). */
const char* jnn_conv2d_impl(int dir, JNN_CONV2D_GEOMETRY);
const char* jnn_dnnl_version(void);      /* "oneDNN 3.11.0 (commit ..., OpenMP runtime)" */

/* ---- rnn.cpp ----------------------------------------------------------------------------- */
/* LSTM and GRU over a whole sequence, one layer, one direction, batch-first, PyTorch's gate order
 * (LSTM i,f,g,o; GRU r,z,n). Geometry (as RnnGeometry in Java): x (b, t, i), y (b, t, h), states
 * (b, h), w_ih (G*h, i), w_hh (G*h, h), b_ih, b_hh (G*h) with G = 4 (LSTM) or 3 (GRU); reverse != 0
 * processes time t-1 .. 0. h0, c0 (forward and backward) and dh_t, dc_t (backward) may be NULL
 * (zeros). ws holds at least jnn_*_workspace_size(...) floats; its layout (R = b*t rows, row
 * bi*t + ti) is the same as the Java reference's (dev.jnn.backend.java.JavaRnn):
 *   LSTM: gates R*4h | cells R*h  (saved by the forward) | dgates R*4h | hprev R*h | dh b*h | dc b*h
 *   GRU:  gates R*3h | hn R*h     (saved by the forward) | dgi R*3h | dgh R*3h | hprev R*h | dh b*h | hh b*3h
 * The backward reads the forward's part unchanged and writes (does not accumulate) every gradient;
 * db_ih and db_hh of an LSTM are equal. dx may be NULL: the input gradient is not computed. */
#define JNN_RNN_GEOMETRY int b, int t, int i, int h, int reverse
int64_t jnn_lstm_workspace_size(int b, int t, int i, int h);  /* floats; a pure function, not a kernel (not counted) */
int64_t jnn_gru_workspace_size(int b, int t, int i, int h);   /* floats; not counted */
int jnn_lstm_forward(const float* x, int64_t x_off, const float* h0, int64_t h0_off, const float* c0, int64_t c0_off,
                     const float* w_ih, int64_t w_ih_off, const float* w_hh, int64_t w_hh_off, const float* b_ih, int64_t b_ih_off,
                     const float* b_hh, int64_t b_hh_off, float* y, int64_t y_off, float* h_t, int64_t h_t_off, float* c_t, int64_t c_t_off,
                     float* ws, int64_t ws_off, JNN_RNN_GEOMETRY);
int jnn_lstm_backward(const float* x, int64_t x_off, const float* h0, int64_t h0_off, const float* c0, int64_t c0_off,
                      const float* w_ih, int64_t w_ih_off, const float* w_hh, int64_t w_hh_off, const float* y, int64_t y_off,
                      float* ws, int64_t ws_off, const float* dy, int64_t dy_off, const float* dh_t, int64_t dh_t_off,
                      const float* dc_t, int64_t dc_t_off, float* dx, int64_t dx_off, float* dh0, int64_t dh0_off, float* dc0, int64_t dc0_off,
                      float* dw_ih, int64_t dw_ih_off, float* dw_hh, int64_t dw_hh_off, float* db_ih, int64_t db_ih_off,
                      float* db_hh, int64_t db_hh_off, JNN_RNN_GEOMETRY);
int jnn_gru_forward(const float* x, int64_t x_off, const float* h0, int64_t h0_off,
                    const float* w_ih, int64_t w_ih_off, const float* w_hh, int64_t w_hh_off, const float* b_ih, int64_t b_ih_off,
                    const float* b_hh, int64_t b_hh_off, float* y, int64_t y_off, float* h_t, int64_t h_t_off,
                    float* ws, int64_t ws_off, JNN_RNN_GEOMETRY);
int jnn_gru_backward(const float* x, int64_t x_off, const float* h0, int64_t h0_off,
                     const float* w_ih, int64_t w_ih_off, const float* w_hh, int64_t w_hh_off, const float* y, int64_t y_off,
                     float* ws, int64_t ws_off, const float* dy, int64_t dy_off, const float* dh_t, int64_t dh_t_off,
                     float* dx, int64_t dx_off, float* dh0, int64_t dh0_off,
                     float* dw_ih, int64_t dw_ih_off, float* dw_hh, int64_t dw_hh_off, float* db_ih, int64_t db_ih_off,
                     float* db_hh, int64_t db_hh_off, JNN_RNN_GEOMETRY);

/* ---- embedding.cpp ----------------------------------------------------------------------- */
/* weight / dweight (v, d); n ids from ids_off, all in [0, v) (checked in Java). Forward: out row k =
 * weight row ids[k]. Backward: dweight = 0, then dweight[ids[k]] += dout row k, except id
 * padding_idx (-1: none). */
int jnn_embedding_forward(const int32_t* ids, int64_t ids_off, const float* weight, int64_t weight_off, float* out, int64_t out_off,
                          int64_t n, int64_t d);
int jnn_embedding_backward(const int32_t* ids, int64_t ids_off, const float* dout, int64_t dout_off, float* dweight, int64_t dweight_off,
                           int64_t n, int64_t v, int64_t d, int64_t padding_idx);

/* ---- pool.cpp ---------------------------------------------------------------------------- */
/* Pooling, NCHW, floor mode, 0 <= pad <= kernel/2 (PyTorch). x (n, c, h, w), y (n, c, p, q) with
 * p = (h + 2 pad_h - kernel_h) / stride_h + 1. Max: padding never wins, NaN wins; argmax[i] (one per
 * element of y, from argmax_off) is the index h*w_ + w of the max within its (n, c) plane. Average:
 * count_include_pad (divides by kernel_h * kernel_w). Backward kernels zero dx, then scatter-add. */
#define JNN_POOL2D_GEOMETRY int n, int c, int h, int w, int kernel_h, int kernel_w, int stride_h, int stride_w, int pad_h, int pad_w
int jnn_maxpool2d_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int32_t* argmax, int64_t argmax_off, JNN_POOL2D_GEOMETRY);
int jnn_maxpool2d_backward(const float* dy, int64_t dy_off, const int32_t* argmax, int64_t argmax_off, float* dx, int64_t dx_off, JNN_POOL2D_GEOMETRY);
int jnn_avgpool2d_forward(const float* x, int64_t x_off, float* y, int64_t y_off, JNN_POOL2D_GEOMETRY);
int jnn_avgpool2d_backward(const float* dy, int64_t dy_off, float* dx, int64_t dx_off, JNN_POOL2D_GEOMETRY);
/* x is (planes, hw) = (n*c, h*w), y is (planes): y = mean over each plane; backward dx = dy / hw. */
int jnn_global_avgpool2d_forward(const float* x, int64_t x_off, float* y, int64_t y_off, int64_t planes, int64_t hw);
int jnn_global_avgpool2d_backward(const float* dy, int64_t dy_off, float* dx, int64_t dx_off, int64_t planes, int64_t hw);

/* ---- batchnorm.cpp ----------------------------------------------------------------------- */
/* Batch norm over x viewed as (n, c, s) (s = h*w, 1 for (n, c) inputs); gamma, beta, running_*,
 * save_* and dgamma/dbeta have c elements. Training: mean and biased var per channel over n*s
 * values (accumulated in double), save_inv_std = 1/sqrt(var + eps), running stats updated with
 * momentum and the unbiased var (n*s >= 2). Backward is the training-mode gradient. y may be x and
 * dx may be dy (same views). */
int jnn_batchnorm_forward_training(const float* x, int64_t x_off, const float* gamma, int64_t gamma_off, const float* beta, int64_t beta_off,
                                   float* y, int64_t y_off, float* running_mean, int64_t running_mean_off, float* running_var, int64_t running_var_off,
                                   float* save_mean, int64_t save_mean_off, float* save_inv_std, int64_t save_inv_std_off,
                                   float momentum, float eps, int64_t n, int64_t c, int64_t s);
int jnn_batchnorm_forward_inference(const float* x, int64_t x_off, const float* gamma, int64_t gamma_off, const float* beta, int64_t beta_off,
                                    const float* running_mean, int64_t running_mean_off, const float* running_var, int64_t running_var_off,
                                    float* y, int64_t y_off, float eps, int64_t n, int64_t c, int64_t s);
int jnn_batchnorm_backward(const float* x, int64_t x_off, const float* dy, int64_t dy_off, const float* gamma, int64_t gamma_off,
                           const float* save_mean, int64_t save_mean_off, const float* save_inv_std, int64_t save_inv_std_off,
                           float* dx, int64_t dx_off, float* dgamma, int64_t dgamma_off, float* dbeta, int64_t dbeta_off,
                           int64_t n, int64_t c, int64_t s);

#ifdef __cplusplus
}
#endif
#endif
