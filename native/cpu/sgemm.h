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
// Small products (m*n*k <= kBlasCallerThreadMnk) stay on OpenBLAS, which runs them on the calling
// thread without its pool: there oneDNN's per-call cost shows (the 10-50-1 dense network trained
// at 173k steps/s on oneDNN against 224k).
//
// Row-major like cblas_sgemm: C (m, n, ldc) = alpha op(A) op(B) + beta C; beta == 0 never reads C.
// Called outside any OpenMP region it uses max_threads() workers; inside one, oneDNN runs it on the
// calling thread.
#ifndef JNN_CPU_SGEMM_H
#define JNN_CPU_SGEMM_H

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include <climits>
#include <stdexcept>
#include <string>

#include "common.h"

namespace jnn {

// OpenBLAS runs a product of m*n*k <= 65536 * 4 multiply-adds (SMP_THRESHOLD_MIN *
// GEMM_MULTITHREAD_THRESHOLD of its interface/gemm.c) on the calling thread and never touches its
// thread pool, so such products may run inside an OpenMP region without nesting the two pools.
// Above it OpenBLAS threads each call and warns "Detect OpenMP Loop" when called from a team
// (measured 10x slower: 8 x 256x256x64 took 6.3 ms against 0.48 ms serially).
constexpr int64_t kBlasCallerThreadMnk = int64_t(65536) * 4;

inline void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
                  int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
    throw std::length_error("sgemm: dimension exceeds the 32-bit GEMM interface: m=" + std::to_string(m) + " n=" + std::to_string(n) +
                            " k=" + std::to_string(k));
  if ((double)m * (double)n * (double)k <= (double)kBlasCallerThreadMnk) {
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, alpha, a, (int)lda,
                b, (int)ldb, beta, c, (int)ldc);
    return;
  }
  if (!omp_in_parallel()) omp_set_num_threads(max_threads());  // this thread's ICV, read by oneDNN (conv_dnnl.cpp)
  const dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (st != dnnl_success)
    throw std::runtime_error("oneDNN sgemm failed (status " + std::to_string((int)st) + ") for m=" + std::to_string(m) + " n=" +
                             std::to_string(n) + " k=" + std::to_string(k));
}

}  // namespace jnn

#endif  // JNN_CPU_SGEMM_H
