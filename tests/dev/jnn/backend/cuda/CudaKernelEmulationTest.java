package dev.jnn.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.backend.cpu.JnnCpu;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The logic of our CUDA kernels (native/cuda/*.cu: indexing, block reductions, barriers, warp
 * shuffles, aliasing) checked where no GPU exists: native/cuda/emu/run.sh compiles the .cu sources
 * as C++ under an emulation of CUDA's execution model (a block's 256 threads are real threads,
 * __syncthreads a barrier) and compares every kernel with jnn_cpu, bit for bit where the formulas
 * allow. It says nothing about GPU numerics or speed; the cuda parity rows do that on a GPU.
 * Runs in CI (about 40 s on 2 cores); g++ is a build requirement anyway, so it never skips.
 */
@org.junit.jupiter.api.Tag("build-tree")   // reads the source tree / build output: not in the offline bundle (bin/test excludes the tag)
class CudaKernelEmulationTest {

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void everyCudaKernelMatchesJnnCpuUnderEmulation() throws Exception {
    Path root = Path.of("").toAbsolutePath();
    Path script = root.resolve("native/cuda/emu/run.sh");
    assertTrue(Files.isRegularFile(script), "missing " + script);
    // libjnn_cpu of this build (target/classes or -Djnn.buildDir=...)
    Path classes = Path.of(JnnCpu.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path cpuLibs = classes.resolve("dev/jnn/backend/cpu/linux-x86_64");
    assertTrue(Files.isRegularFile(cpuLibs.resolve("libjnn_cpu.so")), "libjnn_cpu.so not in " + cpuLibs);
    ProcessBuilder pb = new ProcessBuilder("sh", script.toString()).redirectErrorStream(true);
    pb.environment().put("JNN_CPU_LIB_DIR", cpuLibs.toString());
    // and the libdnnl.so.3 libjnn_cpu links to, as this build unpacked it beside classes/ (pom.xml, unpack-dnnl)
    pb.environment().put("JNN_DNNL_LIB_DIR", classes.getParent().resolve("dnnl/org/bytedeco/dnnl/linux-x86_64").toString());
    File log = Files.createTempFile("jnn-cuda-emu", ".log").toFile();
    pb.redirectOutput(log);
    int rc = pb.start().waitFor();
    String out = Files.readString(log.toPath(), StandardCharsets.UTF_8);
    log.delete();
    System.out.println("native/cuda/emu/run.sh: " + out.lines().reduce((a, b) -> b).orElse(""));
    assertEquals(0, rc, out);
    assertTrue(out.matches("(?s).*\\b\\d{3,} checks, 0 failures.*"), out);
  }
}
