// sgemm.h - the cpu backend's large single-precision products, on oneDNN's sgemm (dnnl_sgemm).
//
// Why oneDNN and not OpenBLAS here: jnn's own kernels run on OpenMP (libgomp), and a product made
// right after an OpenMP region on OpenBLAS's separate pthreads pool pays for two pools on the same
// cores (OpenMP's workers still spin while OpenBLAS's wake). dnnl_sgemm runs on the same libgomp
// team as every other kernel (this libdnnl is oneDNN's OpenMP build; see conv_dnnl.cpp), so there
// is one pool. Measured on 2 cores with an OpenMP region between calls, as in a model: the LSTM's
// products (2048 x 512 x 128 and its transposes) 280-340 GFLOP/s against OpenBLAS's 160-245, and no
// shape slower (docs/BENCHMARKS.md, "One OpenMP pool for the products").
//
// Row-major like cblas_sgemm: C (m, n, ldc) = alpha op(A) op(B) + beta C; beta == 0 never reads C.
// Called outside any OpenMP region it uses max_threads() workers; inside one, oneDNN runs it on the
// calling thread.
#ifndef JNN_CPU_SGEMM_H
#define JNN_CPU_SGEMM_H

#include <oneapi/dnnl/dnnl.h>

#include <climits>
#include <stdexcept>
#include <string>

#include "common.h"

namespace jnn {

inline void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
                  int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
    throw std::length_error("sgemm: dimension exceeds the 32-bit GEMM interface: m=" + std::to_string(m) + " n=" + std::to_string(n) +
                            " k=" + std::to_string(k));
  if (!omp_in_parallel()) omp_set_num_threads(max_threads());  // this thread's ICV, read by oneDNN (conv_dnnl.cpp)
  const dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (st != dnnl_success)
    throw std::runtime_error("oneDNN sgemm failed (status " + std::to_string((int)st) + ") for m=" + std::to_string(m) + " n=" +
                             std::to_string(n) + " k=" + std::to_string(k));
}

}  // namespace jnn

#endif  // JNN_CPU_SGEMM_H
