// runtime.cpp - library-level entry points: errors, version and build info, SIMD dispatch,
// thread counts and the native call counter.
//
// Threading model: OpenBLAS (pthreads build, its own pool) runs GEMM; jnn's loops use OpenMP above
// a size threshold (common.h), and so do oneDNN's convolutions (conv_dnnl.cpp), on the same libgomp
// (one OpenMP runtime in the process: JnnCpu loads jnn's libgomp.so.1 before libdnnl.so.3). The
// two pools never nest: the only BLAS calls inside an OpenMP region are gemm_batched's small
// products, which OpenBLAS runs on the calling thread without its pool (gemm.cpp), and oneDNN's f32
// convolutions call no BLAS. jnn_set_num_threads sets both (oneDNN reads g_num_threads per call).
#include <cblas.h>

#include <cstdlib>
#include <string>

#include "common.h"

namespace jnn {

std::atomic<int64_t> g_native_calls{0};
std::atomic<int> g_num_threads{0};

namespace {

thread_local std::string t_last_error;

const bool kCpuAvx512 = (__builtin_cpu_init(), __builtin_cpu_supports("avx512f"));
std::atomic<bool> g_avx512{kCpuAvx512};

}  // namespace

bool avx512_enabled() noexcept { return g_avx512.load(std::memory_order_relaxed); }

int max_threads() noexcept {
  int n = g_num_threads.load(std::memory_order_relaxed);
  if (n == 0) {  // first use: OpenMP's default (OMP_NUM_THREADS, else the number of CPUs)
    n = std::max(1, omp_get_max_threads());
    g_num_threads.store(n, std::memory_order_relaxed);
  }
  return n;
}

void set_last_error(const char* kernel, const char* msg) noexcept {
  try {
    t_last_error.assign(kernel);
    t_last_error.append(": ");
    t_last_error.append(msg);
  } catch (...) {
    // Out of memory while reporting: keep whatever fits, never throw.
  }
}

}  // namespace jnn

using namespace jnn;

extern "C" {

const char* jnn_last_error(void) { return t_last_error.c_str(); }

const char* jnn_version(void) { return "0.1.0"; }

// Which clone the JNN_CLONES ifunc resolvers pick: they test the same ISA levels, in this order.
const char* jnn_cpu_dispatch(void) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v4")) return "x86-64-v4";
  if (__builtin_cpu_supports("x86-64-v3")) return "x86-64-v3";
  return "default";
}

const char* jnn_build_info(void) {
  static const std::string info = [] {
    std::string s = "jnn_cpu ";
    s += jnn_version();
#if defined(__clang__)
    s += "; compiler clang " __clang_version__;
#elif defined(__GNUC__)
    s += "; compiler GCC " __VERSION__;
#endif
#ifdef JNN_BUILD_FLAGS
    s += "; flags " JNN_BUILD_FLAGS;
#endif
    s += "; C++ " + std::to_string(__cplusplus);
    s += "; OpenMP " + std::to_string(_OPENMP);
    const char* spin = std::getenv("GOMP_SPINCOUNT");
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    const char* timeout = std::getenv("OPENBLAS_THREAD_TIMEOUT");
    if (spin) s += std::string("; GOMP_SPINCOUNT=") + spin + (std::getenv("JNN_SET_GOMP_SPINCOUNT") ? " (jnn default)" : " (user)");
    if (policy) s += std::string("; OMP_WAIT_POLICY=") + policy + " (user)";
    if (timeout)
      s += std::string("; OPENBLAS_THREAD_TIMEOUT=") + timeout + (std::getenv("JNN_SET_OPENBLAS_THREAD_TIMEOUT") ? " (jnn default)" : " (user)");
    const char* cfg = openblas_get_config();
    s += "; OpenBLAS config: ";
    s += cfg ? cfg : "(unknown)";
    s += "; dispatch ";
    s += jnn_cpu_dispatch();
    s += "; ";
    s += jnn_dnnl_version();
    return s;
  }();
  return info.c_str();
}

int jnn_num_threads(void) { return max_threads(); }

int jnn_cpu_set_avx512(int on) {
  const bool before = g_avx512.exchange(on != 0 && kCpuAvx512, std::memory_order_relaxed);
  return before ? 1 : 0;
}

int jnn_cpu_avx512(void) { return avx512_enabled() ? 1 : 0; }

int jnn_blas_num_threads(void) { return openblas_get_num_threads(); }

void jnn_set_num_threads(int n) {
  if (n < 1) n = 1;
  g_num_threads.store(n, std::memory_order_relaxed);
  openblas_set_num_threads(n);
}

int64_t jnn_native_calls(void) { return g_native_calls.load(std::memory_order_relaxed); }

}  // extern "C"
