// gemm.cpp - c = alpha * op(a) op(b) + beta * c + bias, on cblas_sgemm (OpenBLAS preset).
//
// OpenBLAS threads the product itself (its own pthread pool). The bias pass below stays on the
// calling thread on purpose: it is O(m*n) next to the O(m*n*k) product, and waking an OpenMP team
// right before sgemm would leave its spinning threads competing with OpenBLAS's for the cores.
#include <cblas.h>

#include <climits>
#include <stdexcept>
#include <string>

#include "common.h"

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
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                (int)m, (int)n, (int)k, alpha, a + a_off, lda, b + b_off, ldb, blas_beta, C, ldc);
    if (bias_p && beta != 0.0f) add_rows(C, bias_p, m, n);
  });
}
