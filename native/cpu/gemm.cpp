// gemm.cpp - c = alpha * op(a) op(b) + beta * c + bias, on jnn::sgemm (sgemm.h: oneDNN's sgemm on
// jnn's OpenMP team, small products on OpenBLAS's calling thread).
//
// sgemm threads the product itself. The bias pass below stays on the calling thread: it is O(m*n)
// next to the O(m*n*k) product.

#include <climits>
#include <stdexcept>
#include <string>

#include "common.h"
#include "sgemm.h"

namespace {

// c is (m, n): every row becomes bias (length n).
JNN_CLONES void set_rows(float* c, const float* bias, int64_t m, int64_t n) {
  for (int64_t i = 0; i < m; i++) {
    float* row = c + i * n;
    for (int64_t j = 0; j < n; j++) row[j] = bias[j];
  }
}

// c is (m, n): c = beta * c + bias, bias (length n) may be NULL. beta == 0 never reads c, so NaN
// garbage in c is overwritten, as BLAS does.
JNN_CLONES void scale_add_rows(float* c, float beta, const float* bias, int64_t m, int64_t n) {
  for (int64_t i = 0; i < m; i++) {
    float* row = c + i * n;
    if (beta == 0.0f) {
      if (bias) for (int64_t j = 0; j < n; j++) row[j] = bias[j];
      else      for (int64_t j = 0; j < n; j++) row[j] = 0.0f;
    } else if (bias) {
      for (int64_t j = 0; j < n; j++) row[j] = beta * row[j] + bias[j];
    } else if (beta != 1.0f) {
      for (int64_t j = 0; j < n; j++) row[j] = beta * row[j];
    }
  }
}

// c is (m, n): c += bias in every row.
JNN_CLONES void add_rows(float* c, const float* bias, int64_t m, int64_t n) {
  for (int64_t i = 0; i < m; i++) {
    float* row = c + i * n;
    for (int64_t j = 0; j < n; j++) row[j] += bias[j];
  }
}

}  // namespace

extern "C" int jnn_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                        const float* a, int64_t a_off, const float* b, int64_t b_off, float beta,
                        float* c, int64_t c_off, const float* bias, int64_t bias_off) {
  return jnn::guarded("gemm", [&] {
    if (m <= 0 || n <= 0) return;
    float* C = c + c_off;
    const float* bias_p = bias ? bias + bias_off : nullptr;
    // k == 0 (op(a) op(b) is a zero matrix): BLAS would reject lda = 0, so do c = beta*c + bias here.
    if (k <= 0) {
      scale_add_rows(C, beta, bias_p, m, n);
      return;
    }
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
      throw std::length_error("dimension exceeds the 32-bit BLAS interface: m=" + std::to_string(m) +
                              " n=" + std::to_string(n) + " k=" + std::to_string(k));
    // a is (m,k), or (k,m) when trans_a; b is (k,n), or (n,k) when trans_b; c is (m,n). Row-major.
    const int lda = (int)(trans_a ? m : k);
    const int ldb = (int)(trans_b ? k : n);
    const int ldc = (int)n;
    float blas_beta = beta;
    if (bias_p && beta == 0.0f) {
      // One pass over c: seed every row with the bias, let sgemm accumulate onto it.
      set_rows(C, bias_p, m, n);
      blas_beta = 1.0f;
    }
    jnn::sgemm(trans_a, trans_b, m, n, k, alpha, a + a_off, lda, b + b_off, ldb, blas_beta, C, ldc);
    if (bias_p && beta != 0.0f) add_rows(C, bias_p, m, n);
  });
}

namespace {

// Multiply-adds per thread below which a batch stays on the calling thread (~1-2 us of sgemm).
constexpr int64_t kBatchGrainMnk = int64_t(1) << 17;

// c_p is (m, n) with rows ldc apart: c_p = beta * c_p (beta == 0 writes zeros, never reads).
JNN_CLONES void scale_matrix(float* c, float beta, int64_t m, int64_t n, int64_t ldc) {
  for (int64_t i = 0; i < m; i++) {
    float* row = c + i * ldc;
    if (beta == 0.0f) for (int64_t j = 0; j < n; j++) row[j] = 0.0f;
    else if (beta != 1.0f) for (int64_t j = 0; j < n; j++) row[j] = beta * row[j];
  }
}

// Whether the C matrices of a batch are pairwise disjoint: stacked one after another, or side by
// side within one row of ldc floats (the heads of an attention output). Otherwise they may share
// elements, and the batch runs in order on one thread.
bool disjoint_c(int64_t batch, int64_t m, int64_t n, int64_t ldc, int64_t stride_c) {
  if (batch <= 1) return true;
  if (stride_c >= (m - 1) * ldc + n) return true;
  return stride_c >= n && (batch - 1) * stride_c + n <= ldc;
}

}  // namespace

extern "C" int jnn_gemm_batched(int trans_a, int trans_b, int64_t batch, int64_t m, int64_t n, int64_t k, float alpha,
                                const float* a, int64_t a_off, int64_t lda, int64_t stride_a,
                                const float* b, int64_t b_off, int64_t ldb, int64_t stride_b, float beta,
                                float* c, int64_t c_off, int64_t ldc, int64_t stride_c) {
  return jnn::guarded("gemm_batched", [&] {
    if (batch <= 0 || m <= 0 || n <= 0) return;
    a += a_off; b += b_off; c += c_off;
    // k == 0: op(a) op(b) is a zero matrix, and BLAS would reject its leading dimensions
    if (k <= 0) {
      for (int64_t p = 0; p < batch; p++) scale_matrix(c + p * stride_c, beta, m, n, ldc);
      return;
    }
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX || lda > INT_MAX || ldb > INT_MAX || ldc > INT_MAX)
      throw std::length_error("dimension exceeds the 32-bit BLAS interface: m=" + std::to_string(m) + " n=" + std::to_string(n) +
                              " k=" + std::to_string(k) + " lda=" + std::to_string(lda) + " ldb=" + std::to_string(ldb) +
                              " ldc=" + std::to_string(ldc));
    auto one = [&](int64_t p) {
      jnn::sgemm(trans_a, trans_b, m, n, k, alpha, a + p * stride_a, lda, b + p * stride_b, ldb, beta, c + p * stride_c, ldc);
    };
    // Small products (attention heads: 64x64x32): one sgemm per matrix, the batch split over
    // OpenMP threads, each call on its own thread (sgemm.h: OpenBLAS below kBlasCallerThreadMnk).
    // 32 x 64x64x32 on 2 cores: 42 us against 76 us for the serial loop.
    const bool small = (double)m * (double)n * (double)k <= (double)jnn::kBlasCallerThreadMnk;
    const int nt = small && disjoint_c(batch, m, n, ldc, stride_c)
                       ? (int)std::min<int64_t>(batch, jnn::threads_for(batch * m * n * k, kBatchGrainMnk)) : 1;
    if (nt <= 1) {
      for (int64_t p = 0; p < batch; p++) one(p);  // larger products: sgemm threads each one
      return;
    }
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t p = 0; p < batch; p++) one(p);
  });
}
