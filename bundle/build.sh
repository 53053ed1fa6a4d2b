#!/usr/bin/env bash
# Assembles the offline GPU bundle, target/jnn-bundle-linux-x86_64.tar.xz: a jlinked Java 17
# runtime, jnn's jar and runtime jars, the test classes and the JUnit console launcher, and the
# bin/ scripts (bundle/bin/). Run by `mvn -Pbundle package` (pom.xml, profile "bundle"), which
# first writes the runtime classpath (--classpath-file) and copies the console launcher jar.
# Needs the JDK (jlink, jdeps), strip (binutils) and xz (xz-utils). See docs/GPU.md.
set -euo pipefail
say() { echo "bundle: [${SECONDS}s] $*"; }
die() { echo "bundle: ERROR: $*" >&2; exit 1; }

usage() { echo "usage: $0 --basedir DIR --build-dir DIR --jar JNN.jar --classpath-file FILE --console-jar JAR --java-home JDK [--xz-level 0-9]" >&2; exit 2; }
xz_level=6
while (($#)); do
  case "$1" in
    --basedir) basedir="$2"; shift 2 ;;
    --build-dir) build="$2"; shift 2 ;;
    --jar) jnn_jar="$2"; shift 2 ;;
    --classpath-file) cp_file="$2"; shift 2 ;;
    --console-jar) console="$2"; shift 2 ;;
    --java-home) jdk="$2"; shift 2 ;;
    --xz-level) xz_level="$2"; shift 2 ;;
    *) usage ;;
  esac
done
[[ -n "${basedir:-}" && -n "${build:-}" && -n "${jnn_jar:-}" && -n "${cp_file:-}" && -n "${console:-}" && -n "${jdk:-}" ]] || usage
[[ "$xz_level" =~ ^[0-9]$ ]] || die "--xz-level must be 0..9, got $xz_level"

name=jnn-bundle-linux-x86_64
stage_root="$build/bundle"
stage="$stage_root/$name"
archive="$build/$name.tar.xz"

# ---- preconditions: a JDK 17 with jlink, strip, xz, the compiled test classes -------------------
say "preconditions"
for t in jlink jdeps java; do [[ -x "$jdk/bin/$t" ]] || die "$jdk/bin/$t not found: build with a JDK 17 (not a JRE)"; done
jdk_version="$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$jdk/release")"
[[ "$jdk_version" == 17* ]] || die "the bundle's runtime is Java 17, but Maven runs on $jdk ($jdk_version): run it with JAVA_HOME set to a JDK 17"
[[ -d "$jdk/jmods" ]] || die "$jdk/jmods missing: jlink needs the JDK's jmods (Debian: openjdk-17-jdk-headless)"
command -v strip >/dev/null || die "strip not found (apt-get install binutils)"
command -v xz >/dev/null || die "xz not found (apt-get install xz-utils)"
[[ -f "$jnn_jar" ]] || die "$jnn_jar missing (the bundle is built at the package phase, after the jar)"
[[ -d "$build/test-classes" ]] || die "$build/test-classes missing: build with -DskipTests, not -Dmaven.test.skip (the bundle carries the tests)"
[[ -f "$console" ]] || die "$console missing"
[[ -f "$cp_file" ]] || die "$cp_file missing (written by dependency:build-classpath)"
IFS=: read -ra deps < "$cp_file" || true # the file has no final newline
((${#deps[@]})) || die "$cp_file lists no jar"
dup="$(for j in "$jnn_jar" "${deps[@]}"; do basename "$j"; done | sort | uniq -d)"
[[ -z "$dup" ]] || die "two runtime jars share the file name $dup (lib/ holds them side by side)"

rm -rf "$stage_root" "$archive"
mkdir -p "$stage/bin" "$stage/lib" "$stage/test"

# ---- jars: stored (not deflated) so xz compresses across them; unused preset JNI libraries left out --
say "jars"
# CUDA preset: only the JNI glue of cudart, cuBLAS, cuDNN (the backend's bindings) and NCCL (dev.jnn.dist's
# collectives on CUDA tensors; libnccl.so.2 itself comes from the machine); the jar also
# holds NPP, cuFFT, cuSOLVER, NVML, ... OpenBLAS preset: JnnCpu and `jnn bench` load only
# openblas_nolapack (libjniopenblas_nolapack.so + libopenblas.so.0 and its Fortran runtime), so
# the two 24 MB JNI libraries of the full and LAPACK bindings and the C headers stay out. dnnl
# preset: only libdnnl.so.3 (libjnn_cpu's convolutions; JnnCpu loads it itself): its JNI glue (jnn
# does not use the preset's Java classes), its own libgomp.so.1 (jnn's is the one OpenMP runtime),
# headers and CMake files stay out.
"$jdk/bin/java" "$basedir/bundle/Repack.java" \
  --drop '^org/bytedeco/cuda/linux-x86_64/libjni(?!(cudart|cublas|cudnn|nccl)\.so$)' \
  --drop '^META-INF/native-image/linux-x86_64/jni(?!(cudart|cublas|cudnn|nccl|javacpp)/)' \
  --drop '^org/bytedeco/openblas/linux-x86_64/(libjniopenblas(_full)?\.so$|include/|lib/)' \
  --drop '^META-INF/native-image/linux-x86_64/jniopenblas(_full)?/' \
  --drop '^org/bytedeco/dnnl/linux-x86_64/(libjnidnnl\.so$|libgomp\.so\.1$|include/|lib/)' \
  --drop '^META-INF/native-image/linux-x86_64/jnidnnl/' \
  --out "$stage/lib" "$jnn_jar" "${deps[@]}" \
  --out "$stage/test" "$build/test-classes=jnn-tests.jar" "$console"
cuda_entries="$("$jdk/bin/jar" tf "$stage"/lib/cuda-*-linux-x86_64.jar)"
for want in libjnicudart.so libjnicublas.so libjnicudnn.so libjninccl.so; do
  grep -q "/$want\$" <<<"$cuda_entries" || die "the trimmed CUDA preset jar lacks $want"
done
dnnl_entries="$("$jdk/bin/jar" tf "$stage"/lib/dnnl-*-linux-x86_64.jar)"
grep -q "/libdnnl\.so\.3\$" <<<"$dnnl_entries" || die "the trimmed dnnl preset jar lacks libdnnl.so.3"
! grep -q "/libgomp\.so\.1\$" <<<"$dnnl_entries" || die "the trimmed dnnl preset jar still carries its own libgomp.so.1"

# ---- Java runtime: jlink the modules the jars use -----------------------------------------------
say "Java runtime"
# jdeps finds the static dependencies (java.desktop: JFreeChart's headless PNG rendering for the
# profiler charts; java.sql, java.management, jdk.management, jdk.unsupported: JavaCPP, Jackson,
# JMH). Added by hand because nothing refers to them statically: jdk.zipfs (the JUnit console
# launcher scans the test jar through the zip file system), java.logging and java.xml (JUnit's
# logging and XML reports).
cp_all="$(printf '%s:' "$stage"/lib/*.jar "$stage"/test/*.jar)"
jdeps_mods="$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 17 -q \
  --class-path "$cp_all" "$stage"/lib/jnn-*.jar "$stage/test/jnn-tests.jar" "$console")"
[[ -n "$jdeps_mods" ]] || die "jdeps printed no module list"
modules="$(echo "$jdeps_mods,java.desktop,java.logging,java.xml,jdk.unsupported,jdk.zipfs" | tr ',' '\n' | sort -u | paste -sd, -)"
say "jlink modules: $modules (jdeps: $jdeps_mods)"
"$jdk/bin/jlink" --add-modules "$modules" --compress=0 --strip-debug --no-header-files --no-man-pages \
  --output "$stage/runtime"
strip --strip-unneeded "$stage/runtime/lib/server/libjvm.so"

# ---- scripts and a description of what is inside ----------------------------------------------
say "scripts and a description of what is inside"
install -m 0755 "$basedir"/bundle/bin/* "$stage/bin/"
install -m 0644 "$basedir/bundle/env.sh" "$stage/lib/env.sh"
install -d "$stage/gpu" && install -m 0644 "$basedir"/bundle/gpu/*.py "$stage/gpu/"
{
  echo "jnn offline bundle ($name)"
  echo "built:    $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(git -C "$basedir" describe --always --dirty 2>/dev/null || echo 'an unknown commit')"
  echo "runtime:  $("$stage/runtime/bin/java" -version 2>&1 | head -1); modules $modules"
  echo "jars:     $(cd "$stage" && ls lib/*.jar test/*.jar | tr '\n' ' ')"
  echo "needs:    linux x86-64 with glibc >= $(objdump -T "$stage"/runtime/lib/server/libjvm.so "$stage"/runtime/lib/*.so 2>/dev/null \
    | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 | cut -d_ -f2) and libstdc++.so.6 (the runtime and the native cpu backend);"
  echo "          for the cuda backend: the NVIDIA driver (libcuda.so.1), libcudart.so.13, libcublas.so.13,"
  echo "          libcublasLt.so.13 and cuDNN 9 (libcudnn*.so.9), found by lib/env.sh (bin/jnn --verbose ...);"
  echo "          for PNG charts: libfreetype.so.6, libharfbuzz.so.0 and fontconfig fonts."
  echo "run:      bin/jnn info | bin/test [JUnit console options] | bin/gpu-check OUTDIR (docs/GPU.md)"
} > "$stage/BUNDLE.txt"

# Smoke test: the bundled runtime starts jnn and the native cpu backend loads from the trimmed jars.
info="$(env -i PATH=/usr/bin:/bin HOME="${HOME:-/tmp}" "$stage/bin/jnn" info 2>&1)" || { echo "$info" >&2; die "bin/jnn info failed in the staged bundle"; }
grep -q '\[ok\]   cpu' <<<"$info" || { echo "$info" >&2; die "the native cpu backend did not load in the staged bundle"; }

# ---- archive: tar.xz, deterministic order and owners ---------------------------------------------
say "archive"
tar -C "$stage_root" --sort=name --owner=0 --group=0 --numeric-owner -cf - "$name" | xz "-$xz_level" -T0 > "$archive"
say "$archive: $(du -sh "$stage" | cut -f1) unpacked, $(stat -c %s "$archive" | awk '{printf "%.1f MiB", $1/1048576}') compressed"
