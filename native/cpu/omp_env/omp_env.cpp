// omp_env.cpp - libjnn_omp_env: sets libgomp's spin count before libgomp is loaded.
//
// Idle OpenMP workers spin GOMP_SPINCOUNT times (default 300000: 3-10 ms measured here) before
// they sleep, and spinning workers hold the cores that OpenBLAS's pthreads need for the next sgemm.
// On the 2-core dev VM a 512^3 sgemm that takes 1.4-1.6 ms alone showed medians of 2-27 ms right
// after a parallel jnn loop with the default, 1.4-1.8 ms with 10000 in quiet runs. 10000 spins
// (~0.1-0.3 ms) keep the team warm across back-to-back kernels (~1 us wake-up), then the workers
// sleep (a cold wake-up costs 25-80 us on a VM, hence not OMP_WAIT_POLICY=passive).
//
// libgomp reads the variable once, in its own constructor. JnnCpu's @Platform preloads this
// library first, then the bundled libgomp, then jnn_cpu, so this constructor runs before
// libgomp's. It calls libc only. A user's OMP_WAIT_POLICY or GOMP_SPINCOUNT wins; if libgomp was
// already loaded by something else, the setting has no effect (jnn_build_info reports it).
#include <cstdlib>

namespace {
__attribute__((constructor)) void jnn_set_openmp_spin_count() {
  if (std::getenv("OMP_WAIT_POLICY") == nullptr && std::getenv("GOMP_SPINCOUNT") == nullptr) {
    setenv("GOMP_SPINCOUNT", "10000", 0);
    setenv("JNN_SET_GOMP_SPINCOUNT", "1", 0);
  }
}
}  // namespace

// An exported symbol, so the library is a well-formed dependency-free shared object.
extern "C" int jnn_omp_env_loaded(void) { return 1; }
