/*
 * jnn_cuda.h - the C API of jnn's own CUDA kernels (library jnn_cuda, sources native/cuda/<family>.cu).
 *
 * JavaCPP binds this header (dev.jnn.backend.cuda.JnnCuda). It is flat C and includes no CUDA
 * header, so the JNI glue compiles on any machine; where nvcc is missing at build time the same
 * library is built from native/cuda/fallback.cpp (every kernel returns an error, see below).
 *
 * Memory model: every tensor argument is a DEVICE pointer already at the tensor's first element
 * (Java passes memory().address() + 4 * offset()), so there are no (ptr, off) pairs as in
 * jnn_cpu.h. All matrices are row-major and contiguous. `stream` is a cudaStream_t (NULL: the
 * legacy default stream); every kernel is launched asynchronously on it.
 *
 * Naming: jnn_cuda_<kernel> here, __global__ <kernel> in native/cuda/<family>.cu, jnn_<kernel> in
 * jnn_cpu.h and Backend.<kernelInCamelCase> in Java. Semantics are those of the same-named
 * jnn_cpu.h function and of dev.jnn.backend.java.JavaBackend (PyTorch's formulas, NaN
 * propagation, means for losses).
 *
 * Inputs are validated in Java before any call (dev.jnn.backend.Backend); the kernels trust
 * shapes and sizes. Every kernel function returns 0 (cudaSuccess) or the cudaError_t of its
 * launch(es) (cudaGetLastError() right after the launch: launch errors only; errors during
 * execution surface at the next synchronization). jnn_cuda_error_string(code) names a code.
 * Without an NVIDIA driver every launch returns cudaErrorInsufficientDriver (35). Empty sizes
 * launch nothing and return 0 (except sum_squares, which writes 0.0 for n = 0).
 * The fallback build returns JNN_CUDA_ERR_NOT_COMPILED from every kernel.
 *
 * Determinism: every result is computed in a fixed order (one thread per output element, or one
 * block-level tree reduction of a fixed shape) EXCEPT embedding_backward, which accumulates
 * with atomicAdd: when ids repeat, the order of the float additions into one dweight row varies
 * from run to run (results can differ in the last bits).
 */
#ifndef JNN_CUDA_H
#define JNN_CUDA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Returned by every kernel of the fallback library (built without nvcc). It is not a
 * cudaError_t value of any CUDA release (those stay below 1000 apart from cudaErrorUnknown = 999
 * and cudaErrorApiFailureBase = 10000). */
#define JNN_CUDA_ERR_NOT_COMPILED 9001

/* ---- runtime.cu: the library ------------------------------------------------------------- */
int jnn_cuda_compiled(void);                  /* 1 if built with nvcc, 0 if the fallback (no nvcc) was built */
const char* jnn_cuda_build_info(void);        /* nvcc version and the -gencode list; or "built without CUDA: <reason>" */
int jnn_cuda_runtime_version(void);           /* CUDART_VERSION compiled against (13000 = 13.0); 0 in the fallback */
const char* jnn_cuda_error_string(int code);  /* "cudaErrorX: message" (cudaGetErrorName + cudaGetErrorString) */
int64_t jnn_cuda_kernel_launches(void);       /* successful kernel launches so far (tests prove CUDA kernels ran) */

/* ---- elementwise.cu ---------------------------------------------------------------------- */
int jnn_cuda_add(void* stream, const float* a, const float* b, float* out, int64_t n);   /* out = a + b */
int jnn_cuda_mul(void* stream, const float* a, const float* b, float* out, int64_t n);   /* out = a * b */
int jnn_cuda_scale(void* stream, const float* x, float alpha, float* out, int64_t n);    /* out = alpha * x */
int jnn_cuda_axpy(void* stream, float alpha, const float* x, float* y, int64_t n);       /* y += alpha * x */
int jnn_cuda_fill(void* stream, float* x, float value, int64_t n);                       /* x = value */
int jnn_cuda_copy(void* stream, const float* src, float* dst, int64_t n);                /* dst = src (may not overlap) */

/* ---- activation.cu ----------------------------------------------------------------------- */
/* Forward: y = f(x). Backward: dx = dy * f'(.) computed from x (relu, leaky_relu, gelu) or from
 * the forward output y (sigmoid, tanh). GELU is the exact erf form (PyTorch's default). */
int jnn_cuda_relu_forward(void* stream, const float* x, float* y, int64_t n);
int jnn_cuda_relu_backward(void* stream, const float* x, const float* dy, float* dx, int64_t n);
int jnn_cuda_leaky_relu_forward(void* stream, const float* x, float* y, int64_t n, float slope);
int jnn_cuda_leaky_relu_backward(void* stream, const float* x, const float* dy, float* dx, int64_t n, float slope);
int jnn_cuda_sigmoid_forward(void* stream, const float* x, float* y, int64_t n);
int jnn_cuda_sigmoid_backward(void* stream, const float* y, const float* dy, float* dx, int64_t n);
int jnn_cuda_tanh_forward(void* stream, const float* x, float* y, int64_t n);
int jnn_cuda_tanh_backward(void* stream, const float* y, const float* dy, float* dx, int64_t n);
int jnn_cuda_gelu_forward(void* stream, const float* x, float* y, int64_t n);
int jnn_cuda_gelu_backward(void* stream, const float* x, const float* dy, float* dx, int64_t n);

/* ---- softmax.cu -------------------------------------------------------------------------- */
/* x, y, dy, dx are (rows, cols); softmax over each row (one warp per row, max subtracted).
 * Backward takes the forward output y. */
int jnn_cuda_softmax_forward(void* stream, const float* x, float* y, int64_t rows, int64_t cols);
int jnn_cuda_softmax_backward(void* stream, const float* y, const float* dy, float* dx, int64_t rows, int64_t cols);
int jnn_cuda_log_softmax_forward(void* stream, const float* x, float* y, int64_t rows, int64_t cols);
int jnn_cuda_log_softmax_backward(void* stream, const float* y, const float* dy, float* dx, int64_t rows, int64_t cols);

/* ---- layernorm.cu ----------------------------------------------------------------------- */
/* Layer norm over the last axis, jnn_cpu.h's formulas: x, y, dy, dx (rows, cols); gamma, beta,
 * dgamma, dbeta (cols); mean, rstd (rows). One warp per row, row statistics in double. y may be x;
 * dx may be x or dy. The backward's dgamma and dbeta are column sums over rows in two fixed-order
 * stages: at most JNN_CUDA_LAYERNORM_CHUNKS blocks of rows write double partial sums into
 * `partials` (device scratch of at least 2 * JNN_CUDA_LAYERNORM_CHUNKS * cols doubles), then one
 * thread per column adds them in order (no atomics: run-to-run identical). */
#define JNN_CUDA_LAYERNORM_CHUNKS 32
int jnn_cuda_layernorm_forward(void* stream, const float* x, const float* gamma, const float* beta, float eps, float* y,
                               float* mean, float* rstd, int64_t rows, int64_t cols);
int jnn_cuda_layernorm_backward(void* stream, const float* x, const float* dy, const float* gamma, const float* mean, const float* rstd,
                                float* dx, float* dgamma, float* dbeta, double* partials, int64_t rows, int64_t cols);

/* ---- attention.cu ------------------------------------------------------------------------ */
/* Attention probabilities, jnn_cpu.h's jnn_masked_softmax_forward: x, y (batch, heads, tq, tk),
 * key_mask (batch, tk) of 1 = attend, 0 = padding, or NULL; causal != 0 leaves out keys j > i.
 * One warp per row; a row with no key left is zeros. y may be x. */
int jnn_cuda_masked_softmax_forward(void* stream, const float* x, const float* key_mask, int causal, float scale, float* y,
                                    int64_t batch, int64_t heads, int64_t tq, int64_t tk);

/* ---- loss.cu ----------------------------------------------------------------------------- */
/* All losses are means over their n elements (or rows); `loss` is ONE device float that receives
 * the value (one block-level reduction in a fixed order: deterministic). Backward writes the
 * gradient of that mean. */
int jnn_cuda_mse_forward(void* stream, const float* pred, const float* target, int64_t n, float* loss);
int jnn_cuda_mse_backward(void* stream, const float* pred, const float* target, float* dpred, int64_t n);
/* Binary cross-entropy on probabilities p in [0,1]: log terms clamped at -100 as in PyTorch. */
int jnn_cuda_bce_forward(void* stream, const float* p, const float* target, int64_t n, float* loss);
int jnn_cuda_bce_backward(void* stream, const float* p, const float* target, float* dp, int64_t n);
/* Binary cross-entropy on logits z: max(z,0) - z*t + log1p(exp(-|z|)), stable for any z. */
int jnn_cuda_bce_logits_forward(void* stream, const float* z, const float* target, int64_t n, float* loss);
int jnn_cuda_bce_logits_backward(void* stream, const float* z, const float* target, float* dz, int64_t n);
/* Softmax cross-entropy with integer class labels (rows labels in [0, cols), checked in Java):
 * writes probs (rows, cols) for the backward and the mean loss into the device float `loss`. */
int jnn_cuda_softmax_cross_entropy_forward(void* stream, const float* logits, const int32_t* labels, float* probs,
                                           int64_t rows, int64_t cols, float* loss);
int jnn_cuda_softmax_cross_entropy_backward(void* stream, const float* probs, const int32_t* labels, float* dlogits,
                                            int64_t rows, int64_t cols);

/* ---- reduce.cu --------------------------------------------------------------------------- */
int jnn_cuda_sum_rows(void* stream, const float* x, float* out, int64_t rows, int64_t cols);  /* out[j] = sum_i x[i,j] (bias gradients) */
int jnn_cuda_sum_squares(void* stream, const float* x, int64_t n, double* out);             /* out (one device double) = sum x^2, in double */

/* ---- dropout.cu -------------------------------------------------------------------------- */
/* Inverted dropout with the counter-based RNG of dev.jnn.backend.DropoutRng and
 * native/cpu/dropout.cpp: element i is kept iff uniform(seed, counter + i) >= p, so Java, C++ and
 * CUDA draw bit-identical masks. mask[i] is 1/(1-p) when kept, 0 otherwise; y = x * mask. */
int jnn_cuda_dropout_forward(void* stream, const float* x, float* y, float* mask, int64_t n, float p, int64_t seed, int64_t counter);
int jnn_cuda_dropout_backward(void* stream, const float* dy, const float* mask, float* dx, int64_t n);   /* dx = dy * mask */

/* ---- embedding.cu ------------------------------------------------------------------------ */
/* weight / dweight (v, d); n ids, all in [0, v) (checked in Java). Forward: out row k = weight
 * row ids[k]. Backward: dweight = 0, then dweight[ids[k]] += dout row k, except id padding_idx
 * (-1: none). The backward accumulates with atomicAdd: order-dependent when ids repeat. */
int jnn_cuda_embedding_forward(void* stream, const int32_t* ids, const float* weight, float* out, int64_t n, int64_t d);
int jnn_cuda_embedding_backward(void* stream, const int32_t* ids, const float* dout, float* dweight,
                                int64_t n, int64_t v, int64_t d, int64_t padding_idx);

/* ---- optimizer.cu ------------------------------------------------------------------------ */
/* Fused in-place updates of one parameter tensor of n elements, exactly jnn_cpu.h's formulas.
 * step counts from 1. weight_decay is L2 (added to the gradient) except in AdamW (decoupled). */
int jnn_cuda_sgd_update(void* stream, float* param, const float* grad, float* velocity,
                        int64_t n, float lr, float momentum, float dampening, float weight_decay, int nesterov, int64_t step);
int jnn_cuda_adam_update(void* stream, float* param, const float* grad, float* m, float* v,
                         int64_t n, float lr, float beta1, float beta2, float eps, float weight_decay, int64_t step);
int jnn_cuda_adamw_update(void* stream, float* param, const float* grad, float* m, float* v,
                          int64_t n, float lr, float beta1, float beta2, float eps, float weight_decay, int64_t step);
int jnn_cuda_rmsprop_update(void* stream, float* param, const float* grad, float* square_avg,
                            int64_t n, float lr, float alpha, float eps, float weight_decay);
int jnn_cuda_adagrad_update(void* stream, float* param, const float* grad, float* sum,
                            int64_t n, float lr, float lr_decay, float eps, float weight_decay, int64_t step);

/* ---- pool.cu ----------------------------------------------------------------------------- */
/* Pooling, NCHW, floor mode, 0 <= pad <= kernel/2 (PyTorch), jnn's own kernels (cuDNN does not
 * expose PyTorch's argmax). x (n, c, h, w), y (n, c, p, q) with p = (h + 2 pad_h - kernel_h) /
 * stride_h + 1. Max: padding never wins, NaN wins; argmax (one int32 per element of y) is the
 * index h*w_ + w of the max within its (n, c) plane. Average: count_include_pad (divides by
 * kernel_h * kernel_w). Backward kernels write every dx element (one thread each gathers the
 * contributions of the windows covering it, in the order jnn_cpu's scatter-add adds them). */
#ifndef JNN_POOL2D_GEOMETRY
#define JNN_POOL2D_GEOMETRY int n, int c, int h, int w, int kernel_h, int kernel_w, int stride_h, int stride_w, int pad_h, int pad_w
#endif
int jnn_cuda_maxpool2d_forward(void* stream, const float* x, float* y, int32_t* argmax, JNN_POOL2D_GEOMETRY);
int jnn_cuda_maxpool2d_backward(void* stream, const float* dy, const int32_t* argmax, float* dx, JNN_POOL2D_GEOMETRY);
int jnn_cuda_avgpool2d_forward(void* stream, const float* x, float* y, JNN_POOL2D_GEOMETRY);
int jnn_cuda_avgpool2d_backward(void* stream, const float* dy, float* dx, JNN_POOL2D_GEOMETRY);
/* x is (planes, hw) = (n*c, h*w), y is (planes): y = mean over each plane; backward dx = dy / hw. */
int jnn_cuda_global_avgpool2d_forward(void* stream, const float* x, float* y, int64_t planes, int64_t hw);
int jnn_cuda_global_avgpool2d_backward(void* stream, const float* dy, float* dx, int64_t planes, int64_t hw);

/* ---- glue.cu: helpers of the library-backed kernels (cuBLAS, cuDNN) ---------------------- */
/* c is (rows, cols): c[i,j] += bias[j] (the bias of jnn_gemm, after cublasSgemm). */
int jnn_cuda_bias_add(void* stream, float* c, const float* bias, int64_t rows, int64_t cols);
/* src, dst are (b, t, w): dst[bi, t-1-ti, :] = src[bi, ti, :] (reverse RNN direction for cuDNN).
 * src and dst must not overlap. */
int jnn_cuda_reverse_time(void* stream, const float* src, float* dst, int64_t b, int64_t t, int64_t w);

#ifdef __cplusplus
}
#endif
#endif
