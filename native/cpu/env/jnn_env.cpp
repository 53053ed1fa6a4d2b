// jnn_env.cpp - libjnn_env: sets the thread pools' idle behaviour before libgomp and OpenBLAS load.
//
// Both pools spin when idle, and on 2 cores a spinning pool steals the cores the other one needs
// next: a CNN step alternates OpenBLAS sgemm (its own pthreads) with jnn's OpenMP loops.
// Measured with `jnn bench cnn` on the 2-core dev VM (training samples/s, tutorial CNN, batch 64):
// both defaults 1,486-1,908; OPENBLAS_THREAD_TIMEOUT=4 alone 3,092-4,256; with GOMP_SPINCOUNT=1000
// as well 4,321. The dense 10-50-1 step (no parallel region, single-threaded small sgemm) is
// unaffected (213k steps/s either way).
//
//   GOMP_SPINCOUNT=10000         idle OpenMP workers spin ~0.1-0.3 ms (default 300000: 3-10 ms),
//                                then sleep: warm across back-to-back kernels, out of the way of
//                                OpenBLAS after (a cold wake-up costs 25-80 us on a VM, so not
//                                OMP_WAIT_POLICY=passive).
//   OPENBLAS_THREAD_TIMEOUT=4    OpenBLAS workers spin 2^4 cycles (the minimum) before sleeping
//                                instead of 2^28, so they stop competing with OpenMP loops.
//
// libgomp and OpenBLAS read these once, in their own constructors. JnnCpu extracts and loads this
// library before it loads the OpenBLAS preset and libgomp, so this constructor runs first. It
// calls libc only. A value the user set wins; if a library was already loaded by something else,
// the setting has no effect on it (jnn_build_info reports what is in force).
#include <cstdlib>

namespace {
void set_default(const char* name, const char* value, const char* marker) {
  if (std::getenv(name) == nullptr) {
    setenv(name, value, 0);
    setenv(marker, "1", 0);
  }
}

__attribute__((constructor)) void jnn_set_thread_pool_defaults() {
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) set_default("GOMP_SPINCOUNT", "10000", "JNN_SET_GOMP_SPINCOUNT");
  set_default("OPENBLAS_THREAD_TIMEOUT", "4", "JNN_SET_OPENBLAS_THREAD_TIMEOUT");
}
}  // namespace

// An exported symbol, so the library is a well-formed dependency-free shared object.
extern "C" int jnn_env_loaded(void) { return 1; }
