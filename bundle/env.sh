# Sourced by the bundle's bin/ scripts (installed as lib/env.sh). Sets JNN_HOME (the unpacked
# bundle), JNN_JAVA (its jlinked Java 17 runtime: no JDK needed on the machine) and puts the CUDA
# libraries of this machine on LD_LIBRARY_PATH, so that the CUDA preset's JNI glue finds
# libcudart.so.13, libcublas.so.13, libcublasLt.so.13 and cuDNN 9 (libcudnn*.so.9). Where they are
# looked for, in this order (every existing folder holding lib*.so* is kept, duplicates once):
#   1. JNN_CUDA_LIBS, colon-separated folders given by the user;
#   2. the nvidia/*/lib folders of the pip wheels PyTorch installs (CUDA 13's nvidia-cublas,
#      nvidia-cuda-runtime, ... all in nvidia/cu13/lib; nvidia-cudnn-cu13 in nvidia/cudnn/lib),
#      wherever python3 imports the `nvidia` namespace package from;
#   3. the same folders in the usual places when python3 does not find them: /usr/local/lib and
#      /usr/lib python3 dist-/site-packages, ~/.local, $VIRTUAL_ENV, $CONDA_PREFIX, /opt/conda;
#   4. the CUDA toolkit (/usr/local/cuda/lib64) and container driver folders (/usr/local/nvidia/lib64).
# A LD_LIBRARY_PATH already set stays first. The driver (libcuda.so.1) normally comes from the
# system's ld.so cache. JNN_VERBOSE=1, or --verbose as the first argument of a bin/ script,
# prints the folders and where each library was found (jnn_cuda_report).
JNN_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JNN_JAVA="$JNN_HOME/runtime/bin/java"
# Every JVM of the bundle: no display on GPU machines (the profiler's PNG charts render headless).
JNN_JVM_OPTS=(-Djava.awt.headless=true)
: "${JNN_VERBOSE:=0}"

# The sonames the CUDA preset (org.bytedeco:cuda 13.1-9.19) links its cudart/cuBLAS/cuDNN glue to.
JNN_CUDA_SONAMES=(libcuda.so.1 libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcudnn.so.9
  libcudnn_graph.so.9 libcudnn_ops.so.9 libcudnn_cnn.so.9 libcudnn_adv.so.9)

jnn_say() { if [[ "$JNN_VERBOSE" == 1 ]]; then echo "jnn-bundle: $*" >&2; fi; }

# Prints candidate library folders, one a line, in the order above (not yet checked to exist).
jnn_cuda_candidates() {
  local d py
  if [[ -n "${JNN_CUDA_LIBS:-}" ]]; then tr ':' '\n' <<<"$JNN_CUDA_LIBS"; fi
  for py in python3 python; do
    if command -v "$py" >/dev/null 2>&1; then
      while IFS= read -r d; do
        [[ -n "$d" ]] && printf '%s\n' "$d"/*/lib
      done < <("$py" -c 'import nvidia; print("\n".join(nvidia.__path__))' 2>/dev/null || true)
      break
    fi
  done
  printf '%s\n' /usr/local/lib/python3*/dist-packages/nvidia/*/lib /usr/local/lib/python3*/site-packages/nvidia/*/lib \
    /usr/lib/python3/dist-packages/nvidia/*/lib /usr/lib/python3*/site-packages/nvidia/*/lib \
    "${HOME:-/nonexistent}"/.local/lib/python3*/site-packages/nvidia/*/lib /opt/conda/lib/python3*/site-packages/nvidia/*/lib
  if [[ -n "${VIRTUAL_ENV:-}" ]]; then printf '%s\n' "$VIRTUAL_ENV"/lib/python3*/site-packages/nvidia/*/lib; fi
  if [[ -n "${CONDA_PREFIX:-}" ]]; then printf '%s\n' "$CONDA_PREFIX"/lib/python3*/site-packages/nvidia/*/lib "$CONDA_PREFIX/lib"; fi
  printf '%s\n' /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/nvidia/lib64
}

JNN_CUDA_DIRS=()
while IFS= read -r jnn_d; do
  [[ -d "$jnn_d" ]] || continue
  compgen -G "$jnn_d/lib*.so*" >/dev/null || continue
  jnn_d="$(cd "$jnn_d" && pwd -P)"
  case " ${JNN_CUDA_DIRS[*]} " in *" $jnn_d "*) ;; *) JNN_CUDA_DIRS+=("$jnn_d") ;; esac
done < <(jnn_cuda_candidates)
unset jnn_d
# Appended once: a script that runs another (gpu-check runs bin/test) does not add them twice.
for jnn_d in "${JNN_CUDA_DIRS[@]}"; do
  case ":${LD_LIBRARY_PATH:-}:" in *":$jnn_d:"*) ;; *) export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$jnn_d" ;; esac
done
unset jnn_d

# Where each CUDA soname resolves: the first LD_LIBRARY_PATH folder holding it, else the ld.so
# cache; a missing one lists the other versions present (e.g. PyTorch cu12's libcublas.so.12,
# which the CUDA 13 preset cannot use).
jnn_cuda_report() {
  local ldcache s d found others ldpath
  ldcache="$( (/sbin/ldconfig -p || /usr/sbin/ldconfig -p || ldconfig -p) 2>/dev/null || true)"
  echo "runtime:  $JNN_JAVA"
  echo "CUDA library folders added to LD_LIBRARY_PATH: ${JNN_CUDA_DIRS[*]:-(none found)}"
  echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  IFS=: read -ra ldpath <<<"${LD_LIBRARY_PATH:-}"
  for s in "${JNN_CUDA_SONAMES[@]}"; do
    found=""
    for d in "${ldpath[@]}"; do
      if [[ -n "$d" && -e "$d/$s" ]]; then found="$d/$s"; break; fi
    done
    if [[ -z "$found" ]]; then
      found="$(awk -v s="$s" '$1 == s { print $NF; exit }' <<<"$ldcache")"
      [[ -n "$found" ]] && found="$found (ld.so cache)"
    fi
    if [[ -n "$found" ]]; then
      printf '  %-20s %s\n' "$s" "$found"
    else
      others="$( { for d in "${JNN_CUDA_DIRS[@]}"; do compgen -G "$d/${s%%.so*}.so.*" || true; done
                   awk -v p="${s%%.so*}.so." 'index($1, p) == 1 { print $NF }' <<<"$ldcache"; } | sort -u | tr '\n' ' ')"
      printf '  %-20s NOT FOUND%s\n' "$s" "${others:+ (other versions: $others)}"
    fi
  done
  # The runtime's java.desktop (the profiler's PNG charts) takes fonts from the system.
  for s in libfreetype.so.6 libharfbuzz.so.0 libfontconfig.so.1; do
    found="$(awk -v s="$s" '$1 == s { print $NF; exit }' <<<"$ldcache")"
    printf '  %-20s %s\n' "$s" "${found:-NOT FOUND (only the PNG charts need it)}"
  done
}

if [[ "$JNN_VERBOSE" == 1 ]]; then jnn_cuda_report | sed 's/^/jnn-bundle: /' >&2; fi
