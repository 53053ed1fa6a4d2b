// fallback.cpp - libjnn_cuda where nvcc was not found at build time (native/CMakeLists.txt).
//
// Same exported C API as the CUDA build (jnn_cuda.h), so the JNI glue of dev.jnn.backend.cuda.JnnCuda
// always builds and loads: jnn_cuda_compiled() is 0, jnn_cuda_build_info() gives the reason, and
// every kernel returns JNN_CUDA_ERR_NOT_COMPILED without touching its arguments. The kernel list
// below follows jnn_cuda.h one to one (JnnCudaLibraryTest compares the exports with the header).
#include <cstdint>
#include <string>

#include "jnn/jnn_cuda.h"

#ifndef JNN_CUDA_FALLBACK_REASON
#define JNN_CUDA_FALLBACK_REASON "nvcc not found"
#endif

extern "C" {

int jnn_cuda_compiled(void) { return 0; }

const char* jnn_cuda_build_info(void) { return "built without CUDA: " JNN_CUDA_FALLBACK_REASON; }

int jnn_cuda_runtime_version(void) { return 0; }

const char* jnn_cuda_error_string(int code) {
  thread_local std::string s;
  s = code == JNN_CUDA_ERR_NOT_COMPILED ? std::string("jnnCudaErrorNotCompiled: libjnn_cuda was built without CUDA (") +
                                              JNN_CUDA_FALLBACK_REASON + ")"
                                        : "CUDA error " + std::to_string(code) + " (libjnn_cuda was built without CUDA: no error names)";
  return s.c_str();
}

int64_t jnn_cuda_kernel_launches(void) { return 0; }

int jnn_cuda_add(void* stream, const float* a, const float* b, float* out, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_mul(void* stream, const float* a, const float* b, float* out, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_scale(void* stream, const float* x, float alpha, float* out, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_axpy(void* stream, float alpha, const float* x, float* y, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_fill(void* stream, float* x, float value, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_copy(void* stream, const float* src, float* dst, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_relu_forward(void* stream, const float* x, float* y, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_relu_backward(void* stream, const float* x, const float* dy, float* dx, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_leaky_relu_forward(void* stream, const float* x, float* y, int64_t n, float slope) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_leaky_relu_backward(void* stream, const float* x, const float* dy, float* dx, int64_t n, float slope) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_sigmoid_forward(void* stream, const float* x, float* y, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_sigmoid_backward(void* stream, const float* y, const float* dy, float* dx, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_tanh_forward(void* stream, const float* x, float* y, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_tanh_backward(void* stream, const float* y, const float* dy, float* dx, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_gelu_forward(void* stream, const float* x, float* y, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_gelu_backward(void* stream, const float* x, const float* dy, float* dx, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_softmax_forward(void* stream, const float* x, float* y, int64_t rows, int64_t cols) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_softmax_backward(void* stream, const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_log_softmax_forward(void* stream, const float* x, float* y, int64_t rows, int64_t cols) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_log_softmax_backward(void* stream, const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_layernorm_forward(void* stream, const float* x, const float* gamma, const float* beta, float eps, float* y, float* mean, float* rstd, int64_t rows, int64_t cols) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_layernorm_backward(void* stream, const float* x, const float* dy, const float* gamma, const float* mean, const float* rstd, float* dx, float* dgamma, float* dbeta, double* partials, int64_t rows, int64_t cols) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_masked_softmax_forward(void* stream, const float* x, const float* key_mask, int causal, float scale, float* y, int64_t batch, int64_t heads, int64_t tq, int64_t tk) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_mse_forward(void* stream, const float* pred, const float* target, int64_t n, float* loss) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_mse_backward(void* stream, const float* pred, const float* target, float* dpred, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_bce_forward(void* stream, const float* p, const float* target, int64_t n, float* loss) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_bce_backward(void* stream, const float* p, const float* target, float* dp, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_bce_logits_forward(void* stream, const float* z, const float* target, int64_t n, float* loss) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_bce_logits_backward(void* stream, const float* z, const float* target, float* dz, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_softmax_cross_entropy_forward(void* stream, const float* logits, const int32_t* labels, float* probs, int64_t rows, int64_t cols, float* loss) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_softmax_cross_entropy_backward(void* stream, const float* probs, const int32_t* labels, float* dlogits, int64_t rows, int64_t cols) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_sum_rows(void* stream, const float* x, float* out, int64_t rows, int64_t cols) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_sum_squares(void* stream, const float* x, int64_t n, double* out) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_dropout_forward(void* stream, const float* x, float* y, float* mask, int64_t n, float p, int64_t seed, int64_t counter) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_dropout_backward(void* stream, const float* dy, const float* mask, float* dx, int64_t n) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_embedding_forward(void* stream, const int32_t* ids, const float* weight, float* out, int64_t n, int64_t d) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_embedding_backward(void* stream, const int32_t* ids, const float* dout, float* dweight, int64_t n, int64_t v, int64_t d, int64_t padding_idx) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_sgd_update(void* stream, float* param, const float* grad, float* velocity, int64_t n, float lr, float momentum, float dampening, float weight_decay, int nesterov, int64_t step) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_adam_update(void* stream, float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1, float beta2, float eps, float weight_decay, int64_t step) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_adamw_update(void* stream, float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1, float beta2, float eps, float weight_decay, int64_t step) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_rmsprop_update(void* stream, float* param, const float* grad, float* square_avg, int64_t n, float lr, float alpha, float eps, float weight_decay) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_adagrad_update(void* stream, float* param, const float* grad, float* sum, int64_t n, float lr, float lr_decay, float eps, float weight_decay, int64_t step) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_maxpool2d_forward(void* stream, const float* x, float* y, int32_t* argmax, int n, int c, int h, int w, int kernel_h, int kernel_w, int stride_h, int stride_w, int pad_h, int pad_w) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_maxpool2d_backward(void* stream, const float* dy, const int32_t* argmax, float* dx, int n, int c, int h, int w, int kernel_h, int kernel_w, int stride_h, int stride_w, int pad_h, int pad_w) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_avgpool2d_forward(void* stream, const float* x, float* y, int n, int c, int h, int w, int kernel_h, int kernel_w, int stride_h, int stride_w, int pad_h, int pad_w) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_avgpool2d_backward(void* stream, const float* dy, float* dx, int n, int c, int h, int w, int kernel_h, int kernel_w, int stride_h, int stride_w, int pad_h, int pad_w) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_global_avgpool2d_forward(void* stream, const float* x, float* y, int64_t planes, int64_t hw) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_global_avgpool2d_backward(void* stream, const float* dy, float* dx, int64_t planes, int64_t hw) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_bias_add(void* stream, float* c, const float* bias, int64_t rows, int64_t cols) { return JNN_CUDA_ERR_NOT_COMPILED; }
int jnn_cuda_reverse_time(void* stream, const float* src, float* dst, int64_t b, int64_t t, int64_t w) { return JNN_CUDA_ERR_NOT_COMPILED; }

}  // extern "C"
