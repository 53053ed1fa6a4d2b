// conv_dnnl.h - the oneDNN path of conv2d (conv_dnnl.cpp), called by the kernels in conv.cpp.
// Internal to jnn_cpu (not part of the C API).
//
// Each function runs one convolution of the whole batch through oneDNN and returns true, or
// returns false when the im2col kernel must run instead: the user chose it (jnn_conv2d_set_impl)
// or supports() said no (see conv_dnnl.cpp). Tensors are plain NCHW / KCRS as in jnn_cpu.h; the
// pointers are the user's (Java arrays inside a JNI critical region), valid only during the call.
// oneDNN errors are thrown (dnnl::error, a std::exception): guarded() turns them into an error code.
#ifndef JNN_CPU_CONV_DNNL_H
#define JNN_CPU_CONV_DNNL_H

namespace jnn::dnnl_conv {

// The geometry exactly as the kernels receive it (jnn_cpu.h, JNN_CONV2D_GEOMETRY).
struct Shape {
  int n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw;
};

// Whether conv.cpp's direct forward kernel handles g on this CPU (defined in conv.cpp).
bool direct_forward_fits(const Shape& g);

// y (n, k, p, q) = conv(x (n, c, h, w), wt (k, c, r, s)) + bias (k, may be null)
bool forward(const Shape& g, const float* x, const float* wt, const float* bias, float* y);
// dx (n, c, h, w) = conv^T(dy (n, k, p, q), wt)
bool backward_data(const Shape& g, const float* dy, const float* wt, float* dx);
// dw (k, c, r, s) = sum over the batch of dy (x) x; dbias (k, may be null) = sum of dy over n, p, q
bool backward_weights(const Shape& g, const float* x, const float* dy, float* dw, float* dbias);

// Whether AUTO runs the forward of g on jnn's direct kernel (conv.cpp: few input taps on AVX-512)
// instead of oneDNN; false when the user chose im2col.
bool direct_forward(const Shape& g);
// Counts one call of direction dir on a jnn kernel by AUTO's choice (jnn_conv2d_stats, i = 1).
void count_choice(int dir);

}  // namespace jnn::dnnl_conv

#endif
