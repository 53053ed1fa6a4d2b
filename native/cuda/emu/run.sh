#!/bin/sh
# Runs jnn's CUDA kernels on the CPU under an emulation of the CUDA execution model and compares
# every kernel with jnn_cpu (bit-identical where the formulas are, tolerances for transcendentals).
# A check of indexing, reductions, barriers, shuffles and aliasing for machines without a GPU; it
# says nothing about GPU-specific numerics (expf, normcdff) or timing.
#   emu_common.cuh    : replaces common.cuh: a block's 256 threads are std::threads, __syncthreads
#                       and __syncwarp are barriers, shuffles exchange through arrays between warp
#                       barriers, __shared__ is a static shared by the (sequentially run) block.
#   parity_driver.cpp : the cases (NaN / inf inputs, aliasing, overlapping copies, padding, ties).
# Usage (after `mvn -o -q process-classes` built libjnn_cpu): native/cuda/emu/run.sh [--asan]
# Takes a few minutes on 2 cores (each emulated block starts 256 threads).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cpu="${JNN_CPU_LIB_DIR:-$root/target/classes/dev/jnn/backend/cpu/linux-x86_64}"   # CudaKernelEmulationTest passes its build's
[ -f "$cpu/libjnn_cpu.so" ] || { echo "build libjnn_cpu first: mvn -o -q process-classes" >&2; exit 2; }
# libjnn_cpu needs oneDNN's libdnnl.so.3 (its convolutions, unused here): the copy the build unpacked
# from the dnnl preset (pom.xml, unpack-dnnl), beside classes/ in the same build folder.
dnnl="${JNN_DNNL_LIB_DIR:-$cpu/../../../../../../dnnl/org/bytedeco/dnnl/linux-x86_64}"
[ -f "$dnnl/libdnnl.so.3" ] || { echo "libdnnl.so.3 not in $dnnl (set JNN_DNNL_LIB_DIR, or build: mvn -o -q process-classes)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in elementwise activation softmax loss reduce dropout embedding optimizer pool glue layernorm attention; do
  cp "$here/../$f.cu" "$work/$f.cc"
done
cp "$here/emu_common.cuh" "$work/common.cuh"
flags="-O1"
[ "${1:-}" = "--asan" ] && flags="-O1 -g -fsanitize=address"
mkdir "$work/lib"
# libjnn_cpu links OpenBLAS, which no emulated kernel calls: a stub library stands in for it.
g++ -shared -fPIC "$here/openblas_stubs.cpp" -Wl,-soname,libopenblas.so.0 -o "$work/lib/libopenblas.so.0"
# -ffp-contract=off mirrors nvcc --fmad=false
g++ -std=c++20 $flags -ffp-contract=off -I"$root/native/include" -pthread "$work"/*.cc "$here/parity_driver.cpp" \
  -L"$cpu" -ljnn_cpu -L"$work/lib" -l:libopenblas.so.0 -Wl,-rpath,"$cpu" -Wl,-rpath-link,"$dnnl" -o "$work/emu"
LD_LIBRARY_PATH="$work/lib:$dnnl" "$work/emu"
